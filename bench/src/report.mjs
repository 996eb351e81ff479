// Renders the collected results as Markdown.
import { fmt, median, medianInterval, spreadPct } from './stats.mjs';

const HEAP_NOISE_BYTES = 1024 * 1024; // growth below this over the whole run counts as zero
const ALTERNATIVES = ['openinference', 'traceloop'];

/** This row's time over the base row's, block by block (blocks both rows ran). */
function pairedRatios(cell, base, key = 'usPerCall') {
  if (!cell?.rounds?.length || !base?.rounds?.length) return [];
  const byRound = new Map(base.rounds.map((r) => [r.round, r[key]]));
  return cell.rounds.filter((r) => byRound.has(r.round)).map((r) => r[key] / byRound.get(r.round));
}

function pairedRatio(cell, base, key = 'usPerCall') {
  return median(pairedRatios(cell, base, key));
}

/** `1.54x (95% interval 1.41-1.70)`: the paired median and its order-statistics interval. */
function ratioWithInterval(cell, base, key) {
  const ratios = pairedRatios(cell, base, key);
  const [lo, hi] = medianInterval(ratios);
  const interval = Number.isFinite(lo) ? ` (95% interval ${lo.toFixed(2)}-${hi.toFixed(2)})` : '';
  return `${fmt.ratio(median(ratios))}${interval}`;
}

function cellStats(cell) {
  const wall = cell?.rounds?.map((r) => r.usPerCall) ?? [];
  return {
    wall: median(wall),
    cpu: median(cell?.rounds?.map((r) => r.cpuUsPerCall) ?? []),
    spans: median(cell?.rounds?.map((r) => r.spansPerCall) ?? []),
    roots: median(cell?.rounds?.map((r) => r.rootsPerCall) ?? []),
    spread: spreadPct(wall),
    n: wall.length,
  };
}

export function renderReport(results, families) {
  const L = [];
  const losses = [];
  const wins = [];
  const { machine: m, versions: v, config } = results;

  L.push('# genai-otel benchmark results', '');
  if (results.partial)
    L.push(
      '> **PARTIAL RUN**: the run was still going (or was stopped) when this was written; later sections are missing.',
      '',
    );
  L.push(
    `Generated ${results.finishedAt} by \`pnpm bench${config.quick ? ' --quick' : ''}\` in ${results.durationS.toFixed(0)} s ` +
      `(${config.quick ? `QUICK mode: fewer rounds and iterations, heap over ${config.heapIters} invocations` : 'full mode'}). ` +
      `How to run and read it: [README.md](./README.md). Raw numbers: \`${results.rawFile ?? 'RESULTS.json'}\` next to this file (not committed).`,
    '',
  );

  L.push('## Machine', '');
  L.push('| | |', '| --- | --- |');
  L.push(
    `| CPU | ${m.cpuModel} |`,
    `| Cores | ${m.cores} |`,
    `| Memory | ${m.memoryGiB.toFixed(0)} GiB |`,
  );
  L.push(`| OS | ${m.os} |`, `| Node.js | ${m.node} (V8 ${m.v8}) |`);
  L.push(
    `| Load average (1/5/15 min) | start ${m.loadavg.map((x) => x.toFixed(2)).join(' / ')}, end ${(m.loadavgEnd ?? []).map((x) => x.toFixed(2)).join(' / ')} |`,
    '',
  );
  if (m.loadavg[0] > m.cores * 0.75) {
    L.push(
      `> The machine was busy when this run started (load ${m.loadavg[0].toFixed(2)} on ${m.cores} cores): absolute times are noisy; ` +
        'the ratios are paired per round and hold up better.',
      '',
    );
  }

  L.push('## Versions measured', '');
  L.push('| Package | Version |', '| --- | --- |');
  for (const [name, info] of Object.entries(v.ours)) {
    L.push(
      `| ${name} (ours) | ${info.version} @ ${info.commit ?? '?'}${info.built ? (info.stale ? ' (dist/ older than src/)' : '') : ' (not built)'} |`,
    );
  }
  for (const [name, info] of Object.entries(v.alternatives)) {
    L.push(
      `| ${name} | ${info.version ?? 'missing'} (uses @opentelemetry/instrumentation ${info.instrumentation ?? '?'}) |`,
    );
  }
  for (const [name, ver] of Object.entries({ ...v.framework, ...v.otel }))
    L.push(`| ${name} | ${ver ?? 'missing'} |`);
  L.push(
    '',
    `Repository HEAD ${v.head ?? '?'}${v.dirtyPackages ? ' (with uncommitted changes under packages/)' : ''}.`,
    '',
  );

  const sections = [];

  // 1. Overhead
  if (Object.keys(results.overhead).length) {
    const S = [];
    S.push('## 1. Per-call overhead', '');
    S.push(
      `${config.rounds} rounds of ${config.blocks ?? 1} interleaved timed blocks (of at least ${config.measureMs} ms each). Every row runs in its own \`node\` process, ` +
        'started fresh every round, which sets up its instrumentation once and warms up each workload (at least ' +
        `${config.warmupMs} ms); then block after block, every row runs one timed block of the same workload back to back, the order of ` +
        'rows rotated and reversed from block to block, so the rows compared in a block ran within seconds of each other on this noisy ' +
        'machine. Every row registers the same tracer provider, ' +
        "`BatchSpanProcessor` (SDK defaults) and a no-op exporter. A workload is warmed up and a GC forced before its first block; a block is timed until LangChain's " +
        'background callbacks have settled and the processor has flushed. Times are medians over all blocks; "vs" columns are medians of per-block ' +
        'ratios; "added" is the row\'s median minus the uninstrumented median; "spread" is (max - min) / median over the blocks.',
      '',
    );
    for (const [fam, workloads] of Object.entries(results.overhead)) {
      const family = families[fam];
      S.push(`### ${family.title}`, '');
      for (const [wl, rows] of Object.entries(workloads)) {
        const def = family.workloads[wl];
        S.push(`#### ${family.title}: ${def.title}`, '');
        const base = rows[family.baseline];
        const floor = family.floor ? rows[family.floor] : undefined;
        const baseStats = cellStats(base);
        const floorStats = cellStats(floor);
        const hdr = ['Row', 'µs/call', 'vs uninstrumented'];
        if (floor) hdr.push('vs no-op floor');
        hdr.push('added µs/call');
        if (floor) hdr.push("added vs floor's added");
        hdr.push('CPU µs/call', 'CPU vs uninstrumented');
        if (floor) hdr.push('CPU vs floor');
        hdr.push('spans/call (roots)', 'spread');
        S.push(
          `| ${hdr.join(' | ')} |`,
          `| ${hdr.map((_, i) => (i ? '---:' : '---')).join(' | ')} |`,
        );
        const floorAdded = floorStats.wall - baseStats.wall;
        for (const row of family.rowOrder) {
          const cell = rows[row];
          if (!cell) continue;
          const title = family.rows[row].title;
          if (cell.error && !cell.rounds?.length) {
            S.push(
              `| ${title} | not measured: ${cell.error.replace(/\|/g, '/').slice(0, 160)} |${' |'.repeat(hdr.length - 2)}`,
            );
            continue;
          }
          const s = cellStats(cell);
          const isBase = row === family.baseline;
          const cols = [
            title,
            fmt.us(s.wall),
            isBase ? '1.00x' : fmt.ratio(pairedRatio(cell, base)),
          ];
          if (floor)
            cols.push(row === family.floor ? '1.00x' : fmt.ratio(pairedRatio(cell, floor)));
          cols.push(isBase ? '' : fmt.us(s.wall - baseStats.wall));
          if (floor) cols.push(isBase ? '' : fmt.ratio((s.wall - baseStats.wall) / floorAdded));
          cols.push(
            fmt.us(s.cpu),
            isBase ? '1.00x' : fmt.ratio(pairedRatio(cell, base, 'cpuUsPerCall')),
          );
          if (floor)
            cols.push(
              row === family.floor ? '1.00x' : fmt.ratio(pairedRatio(cell, floor, 'cpuUsPerCall')),
            );
          cols.push(
            Number.isFinite(s.spans) ? `${s.spans.toFixed(1)} (${s.roots.toFixed(1)})` : 'n/a',
            fmt.pct(s.spread),
          );
          S.push(`| ${cols.join(' | ')} |`);
        }
        S.push('');
        const abBase = rows['ours-baseline'];
        if (rows.ours?.rounds?.length && abBase?.rounds?.length)
          S.push(
            `A/B (\`--baseline-tree\`): ours / ours at the baseline tree, paired per block: ${fmt.ratio(pairedRatio(rows.ours, abBase))} wall, ${fmt.ratio(pairedRatio(rows.ours, abBase, 'cpuUsPerCall'))} CPU.`,
            '',
          );
        // Verdicts
        const ours = rows.ours;
        if (ours?.rounds?.length) {
          const o = cellStats(ours);
          const label = `${family.title} "${def.title}"`;
          if (floor) {
            for (const alt of ALTERNATIVES) {
              const a = rows[alt];
              if (!a?.rounds?.length) continue;
              const as = cellStats(a);
              const title = family.rows[alt].title.split(' (')[0];
              const detail =
                `wall ${fmt.us(o.wall)} vs ${fmt.us(as.wall)} µs/call (paired ratio ${fmt.ratio(pairedRatio(ours, a))}), ` +
                `CPU ${fmt.us(o.cpu)} vs ${fmt.us(as.cpu)} µs/call (${fmt.ratio(pairedRatio(ours, a, 'cpuUsPerCall'))})`;
              const wallOk = o.wall < as.wall;
              const cpuOk = o.cpu < as.cpu;
              const noise = Math.max(o.spread, as.spread);
              const close = Math.abs(pairedRatio(ours, a, 'cpuUsPerCall') - 1) < 0.1;
              const qualifier = close
                ? ` Too close to call on this machine (block-to-block spread up to ${fmt.pct(noise)}).`
                : '';
              if (wallOk && cpuOk)
                wins.push(`${label}: ours below ${title}: ${detail}.${qualifier}`);
              else
                losses.push(
                  `${label}: ours is NOT below ${title} on ${!wallOk && !cpuOk ? 'wall time or CPU time' : !wallOk ? 'wall time' : 'CPU time'}: ${detail}.${qualifier}`,
                );
            }
            const rf = pairedRatio(ours, floor);
            const rfc = pairedRatio(ours, floor, 'cpuUsPerCall');
            // The intervals say how sure a verdict is on this machine (per-block ratios scatter).
            const detail = `${ratioWithInterval(ours, floor)} wall (${fmt.us(o.wall)} vs ${fmt.us(floorStats.wall)} µs/call), ${ratioWithInterval(ours, floor, 'cpuUsPerCall')} CPU`;
            const unrecorded = rows['ours-unrecorded'];
            const decomposition = unrecorded?.rounds?.length
              ? ` With its spans not recorded (our handler, context propagation and wrappers without the SDK's span pipeline) ours is ${fmt.ratio(pairedRatio(unrecorded, floor))} wall, ${fmt.ratio(pairedRatio(unrecorded, floor, 'cpuUsPerCall'))} CPU of the floor.`
              : '';
            const tracked = rows['noop-callback-context'];
            const withTracking = tracked?.rounds?.length
              ? ` Against the floor with async context tracking on (an app where anything already activated an OpenTelemetry context, e.g. HTTP instrumentation): ${fmt.ratio(pairedRatio(ours, tracked))} wall, ${fmt.ratio(pairedRatio(ours, tracked, 'cpuUsPerCall'))} CPU.`
              : '';
            if (rf <= 1.5 && rfc <= 1.5)
              wins.push(
                `${label}: ours within 1.5x of the no-op callback floor: ${detail}.${withTracking}`,
              );
            else
              losses.push(
                `${label}: ours is NOT within 1.5x of the no-op callback floor: ${detail}.${decomposition}${withTracking}`,
              );
          } else {
            const rb = pairedRatio(ours, base);
            wins.push(
              `${label}: ours adds ${fmt.us(o.wall - baseStats.wall)} µs/call (${fmt.ratio(rb)} uninstrumented wall, ` +
                `${fmt.ratio(pairedRatio(ours, base, 'cpuUsPerCall'))} CPU); no alternative measured for this framework.`,
            );
          }
        } else if (ours?.error) {
          losses.push(
            `${family.title} "${def.title}": our row could not be measured (${ours.error.slice(0, 200)}).`,
          );
        }
      }
    }
    sections.push(S);
  }

  // 2. Heap
  if (Object.keys(results.heap).length) {
    const S = [];
    S.push('## 2. Heap growth', '');
    S.push(
      `Each row in a fresh \`node --expose-gc\` process that runs the workloads in turn; per workload: ${config.heapWarmup} warm-up invocations, forced GC, ` +
        `heap used as baseline, then ${config.heapIters} invocations (callbacks settled, spans flushed, forced GC after each half). ` +
        `Growth below ${fmt.bytes(HEAP_NOISE_BYTES)} over the whole run is reported as zero (noise: JIT, lazily built caches).`,
      '',
    );
    for (const [fam, workloads] of Object.entries(results.heap)) {
      const family = families[fam];
      const wls = Object.keys(workloads);
      S.push(`### ${family.title}`, '');
      const hdr = ['Row', ...wls.map((w) => family.workloads[w].title)];
      S.push(
        `| ${hdr.join(' | ')} |`,
        `| ${hdr.map((_, i) => (i ? '---:' : '---')).join(' | ')} |`,
      );
      for (const row of family.rowOrder) {
        const cols = [family.rows[row].title];
        let any = false;
        for (const wl of wls) {
          const r = workloads[wl][row];
          if (!r) {
            cols.push('');
            continue;
          }
          any = true;
          if (r.error) {
            cols.push(`error: ${r.error.replace(/\|/g, '/').slice(0, 80)}`);
            continue;
          }
          const perCall = r.heapGrowth / r.iters;
          cols.push(
            `${fmt.bytes(r.heapGrowth)} (${perCall.toFixed(0)} B/call; 2nd half ${fmt.bytes(r.heapGrowthSecondHalf)})`,
          );
          if (row === 'ours') {
            const label = `${family.title} "${family.workloads[wl].title}"`;
            if (r.heapGrowth > HEAP_NOISE_BYTES && r.heapGrowthSecondHalf > HEAP_NOISE_BYTES / 2) {
              losses.push(
                `${label}: our heap grew ${fmt.bytes(r.heapGrowth)} over ${r.iters} invocations (${fmt.bytes(r.heapGrowthSecondHalf)} in the second half): not zero.`,
              );
            } else {
              wins.push(
                `${label}: heap growth ${fmt.bytes(r.heapGrowth)} over ${r.iters} invocations (zero within noise).`,
              );
            }
          }
        }
        if (any) S.push(`| ${cols.join(' | ')} |`);
      }
      S.push('');
    }
    sections.push(S);
  }

  // 3. Start-up
  if (results.startup) {
    const S = [];
    const st = results.startup;
    S.push('## 3. Start-up', '');
    S.push(
      `Wall time of \`node [flags] src/startup/langchain-app/app.mjs\` (a small ESM LangChain app whose package.json names @langchain/core: imports it, runs one ` +
        `prompt -> model -> parser chain, exits), median of ${config.startupRuns} runs per variant, variants alternated; ` +
        'one untimed run each first. `OTEL_TRACES_EXPORTER=none`, `OTEL_METRICS_EXPORTER=none` for the register entry.',
      '',
    );
    S.push(
      '| Variant | median | vs no instrumentation | spread | failures |',
      '| --- | ---: | ---: | ---: | --- |',
    );
    const none = st.none?.medianMs;
    const titles = {
      none: 'no instrumentation',
      register: '`--import @genai-otel/node/register`',
      unfiltered:
        'unfiltered loader hook (`module.register(hook.mjs)`, no include list) + our LangChain instrumentation',
      'no-hook': 'decomposition: our `setupTelemetry({ esmHook: false })`, no loader hook',
      'hook-only':
        'decomposition: loader hook alone (include list = @langchain/core files), no SDK',
      'noop-hook':
        'decomposition: a pass-through `module.register` hook (what any loader hook costs), no SDK',
    };
    for (const [k, r] of Object.entries(st)) {
      const ratio = r.medianMs / none;
      S.push(
        `| ${titles[k] ?? k} | ${fmt.ms(r.medianMs)} | ${fmt.ratio(ratio)} | ${fmt.pct(r.spreadPct)} | ${r.errors.length ? `${r.errors.length}: ${r.errors[0].replace(/\|/g, '/').slice(0, 200)}` : '0'} |`,
      );
    }
    S.push('');
    const reg = st.register;
    if (reg && Number.isFinite(reg.medianMs)) {
      const ratio = reg.medianMs / none;
      if (ratio < 1.5)
        wins.push(
          `Start-up with the register entry: ${fmt.ms(reg.medianMs)} vs ${fmt.ms(none)} (${fmt.ratio(ratio)}, target < 1.5x).`,
        );
      else
        losses.push(
          `Start-up with the register entry: ${fmt.ms(reg.medianMs)} vs ${fmt.ms(none)} uninstrumented = ${fmt.ratio(ratio)} (target < 1.5x).`,
        );
    } else if (reg) {
      losses.push(
        `Start-up with the register entry could not be measured: ${reg.errors[0]?.slice(0, 200) ?? 'no successful run'}.`,
      );
    }
    sections.push(S);
  }

  // 4. Install
  if (results.install) {
    const S = [];
    const ins = results.install;
    S.push('## 4. Install footprint', '');
    S.push(
      "What `npm install <package>` adds, in temporary directories outside the workspace (`--ignore-scripts`, npm's default " +
        'peer-dependency installation). "Empty project": a project with nothing installed. "LangChain app": a project that already ' +
        `has ${ins.existing.map((e) => `\`${e}\``).join(' and ')} (what every user of these packages has). Ours is packed with ` +
        "`pnpm pack` and installed from the tarballs, with core's tarball through npm `overrides`. Bytes are file sizes under `node_modules`.",
      '',
    );
    S.push(
      '| Package | empty project: packages | bytes | LangChain app: packages added | bytes added |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const [, c] of Object.entries(ins.candidates)) {
      if (c.error && !c.empty) {
        S.push(`| ${c.title} | error: ${c.error.replace(/\|/g, '/').slice(0, 160)} | | | |`);
        continue;
      }
      S.push(
        `| ${c.title} | ${c.empty?.packages ?? 'n/a'} | ${fmt.bytes(c.empty?.bytes)} | ${c.existing?.packages ?? 'n/a'} | ${fmt.bytes(c.existing?.bytes)} |`,
      );
    }
    S.push('');
    for (const [, c] of Object.entries(ins.candidates)) {
      if (!c.existing) continue;
      S.push(`<details><summary>${c.title}: packages added to the LangChain app</summary>`, '');
      S.push(c.existing.added.map((n) => `\`${n}\``).join(', ') || '(none)', '', '</details>', '');
    }
    const ours = ins.candidates.ours;
    for (const scenario of ['empty', 'existing']) {
      if (!ours?.[scenario]) continue;
      const others = Object.entries(ins.candidates).filter(([k, c]) => k !== 'ours' && c[scenario]);
      const name = scenario === 'empty' ? 'empty project' : 'existing LangChain app';
      const biggerB = others
        .filter(([, c]) => c[scenario].bytes <= ours[scenario].bytes)
        .map(([, c]) => c.title);
      const biggerP = others
        .filter(([, c]) => c[scenario].packages < ours[scenario].packages)
        .map(([, c]) => c.title);
      if (!biggerB.length && !biggerP.length)
        wins.push(
          `Install (${name}): ours is the smallest (${ours[scenario].packages} packages, ${fmt.bytes(ours[scenario].bytes)}).`,
        );
      else
        losses.push(
          `Install (${name}): ours (${ours[scenario].packages} packages, ${fmt.bytes(ours[scenario].bytes)}) is not the smallest: ` +
            `${[...new Set([...biggerB, ...biggerP])].join(', ')} ${biggerB.length ? 'is as small or smaller in bytes' : 'has fewer packages'}.`,
        );
    }
    if (ours?.error && !ours.empty)
      losses.push(`Install footprint of ours could not be measured: ${ours.error.slice(0, 200)}`);
    sections.push(S);
  }

  // 5. Sampler
  if (results.sampler) {
    const S = [];
    S.push('## 5. Sampler throughput', '');
    if (results.sampler.missing) {
      S.push(
        '`packages/core/bench/sampler.mjs` is not in the repository yet: no sampler numbers in this run.',
        '',
      );
    } else if (results.sampler.code !== 0) {
      S.push(
        `\`${results.sampler.script}\` failed (exit ${results.sampler.code}):`,
        '',
        '```',
        results.sampler.stderr.trim(),
        '```',
        '',
      );
      losses.push('Sampler throughput: the sampler benchmark failed in this run.');
    } else {
      S.push(
        `Output of \`node --expose-gc ${results.sampler.script} ${(results.sampler.args ?? []).join(' ')}\` (its own method and units):`,
        '',
      );
      const text = results.sampler.stdout.trim().replace(/^(#+) /gm, '###$1 ');
      S.push(/^\s*[|#]/m.test(text) ? text : ['```', text, '```'].join('\n'), '');
    }
    sections.push(S);
  }

  L.push('## Summary against the targets', '');
  L.push(
    "Targets: our per-call overhead below every alternative's on every LangChain workload and within 1.5x of the no-op " +
      'callback floor (per-call time ratio); zero heap growth; register start-up under 1.5x the uninstrumented app; smallest install. ' +
      'A per-call target counts as met only when it holds for both the wall-time and the CPU-time medians.',
    '',
  );
  if (losses.length) {
    L.push(`**Targets missed (${losses.length}):**`, '');
    for (const x of losses) L.push(`- ${x}`);
    L.push('');
  } else {
    L.push('**All targets measured in this run were met.**', '');
  }
  if (wins.length) {
    L.push(`Targets met (${wins.length}):`, '');
    for (const x of wins) L.push(`- ${x}`);
    L.push('');
  }
  for (const S of sections) L.push(...S);

  // Rows whose spans do not form one trace per call.
  const flat = [];
  for (const [fam, workloads] of Object.entries(results.overhead)) {
    for (const [wl, rows] of Object.entries(workloads)) {
      for (const [row, cell] of Object.entries(rows)) {
        const st = cellStats(cell);
        if (st.spans > 1 && st.roots > 1.01)
          flat.push(
            `${families[fam].rows[row].title} on "${families[fam].workloads[wl].title}": ${st.roots.toFixed(1)} root spans per call (of ${st.spans.toFixed(1)})`,
          );
      }
    }
  }
  if (flat.length) {
    L.push('## Trace shape', '');
    L.push(
      'Rows whose spans for one call do not form one connected trace (they do less work per span: no parent look-up or context propagation):',
      '',
    );
    for (const x of flat) L.push(`- ${x}`);
    L.push('');
  }
  L.push('## Notes on method', '');
  L.push(
    '- Frameworks and the alternatives come from the npm registry (exact versions above); our packages are the workspace builds (`dist/`).',
    `- The newest published versions of both alternatives install next to \`@langchain/core\` ${v?.framework?.['@langchain/core'] ?? ''} on Node ${m?.node ?? ''} and trace it ` +
      '(spans/call above); no older version was needed. OpenLLMetry declares `@langchain/core` as a dependency, not only a peer; ' +
      'pnpm resolved it to the same copy the workloads use.',
    '- Every LangChain row is applied to the ESM `@langchain/core` modules the workloads load, in the same process before the ' +
      'workload is built: the alternatives through their `manuallyInstrument` on `callbacks/manager` (the only module they patch); ' +
      'ours through `manuallyInstrument` on the modules `@genai-otel/node` lists for LangChain (`FRAMEWORKS.langchain.esmEntries`: `callbacks/manager` plus the runnables, chat model, LLM, tool, retriever and singletons modules it also wraps ' +
      "to run nested work inside the run's span context), i.e. what the register entry preloads and patches in an application; the no-op floor by appending " +
      'one handler (all `handle*` methods empty) to the inheritable handlers in `CallbackManager._configureSync`, the hook every callback-based approach uses.',
    '- "200 concurrent RAG chains": batches of 200 `invoke()` calls awaited with `Promise.all`; µs/call = batch time / 200.',
    '- Content capture: both alternatives record prompts and completions by default; ours does not (privacy by default). ' +
      'The "ours, content capture on" row measures ours with prompts/completions recorded on spans for a like-for-like comparison.',
    '- The fake chat model returns token usage and finish reasons like a provider does; the fake retriever returns four documents.',
    '- The Anthropic rows call a fake Messages API on 127.0.0.1 served by the orchestrator process (so its CPU time is not charged to the measured process).',
    '- "spans/call (roots)": spans exported per call and how many of them have no parent; a connected trace has one root per call.',
    '- "CPU µs/call" is the measured process\'s user+system CPU time per call (includes GC helper threads, so it can exceed wall time).',
    '',
  );
  return `${L.join('\n')}\n`;
}
