// A tiny in-memory knowledge base with a keyword retriever: enough to assemble a context.
export const DOCUMENTS = [
  {
    id: 'kb-1',
    text: 'Refunds are available within 30 days of purchase with the original receipt.',
  },
  { id: 'kb-2', text: 'Premium support is open 24/7 by chat; standard support answers by email.' },
  { id: 'kb-3', text: 'Orders ship within 2 business days; express shipping arrives next day.' },
  { id: 'kb-4', text: 'Gift cards never expire and can be used for any product.' },
  { id: 'kb-5', text: 'Returned items must be unused and in their original packaging.' },
];

const words = (text) => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);

/** The `k` documents sharing the most words with the question (ties keep corpus order). */
export function retrieve(question, k = 2) {
  const q = words(question);
  return DOCUMENTS.map((doc) => ({
    ...doc,
    score: [...words(doc.text)].filter((w) => q.has(w)).length,
  }))
    .filter((d) => d.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
