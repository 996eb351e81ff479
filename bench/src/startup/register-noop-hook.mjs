// A loader hook that does nothing (pass-through resolve and load), no SDK, no instrumentation:
// what registering ANY module.register() hook costs on this Node version (the hooks run on a
// separate thread, and every import waits for a round trip to it). Start-up decomposition only.
import { register } from 'node:module';

const passThrough = [
  'export async function resolve(specifier, context, next) { return next(specifier, context); }',
  'export async function load(url, context, next) { return next(url, context); }',
].join('\n');
register(`data:text/javascript,${encodeURIComponent(passThrough)}`, import.meta.url);
