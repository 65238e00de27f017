// The markdown report of one run.

const TARGETS = {
  cached: { fastify: 3, koa: 3, express: 10, nestjs: 10 },
  firstSeen: 35,
  apiTokenOverJwt: 5,
  peerFactor: 3,
};

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const signed = (n, digits = 1) => (Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}` : 'n/a');

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** CPU a variant adds over the bare server, saturated: the median over rounds of the difference within a round. */
function saturatedAdded(v, bare) {
  const a = v.samples;
  const b = bare.samples;
  if (a.length === b.length && a.length > 0) return median(a.map((s, i) => s.cpuUsPerReq - b[i].cpuUsPerReq));
  return median(a.map((s) => s.cpuUsPerReq)) - median(b.map((s) => s.cpuUsPerReq));
}

const quartiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  return [at(0.25), at(0.75)];
};

/**
 * Added CPU per request of every variant over its framework's bare server: `addedUs` is the
 * median of the fixed-rate pairs when the variant has any (restauth's), else the saturated
 * figure; `satAddedUs` is always the saturated one (the peers have only that).
 */
export function analyse(http) {
  const byFw = new Map();
  for (const v of http) {
    if (!byFw.has(v.framework)) byFw.set(v.framework, []);
    byFw.get(v.framework).push(v);
  }
  const out = [];
  for (const [framework, variants] of byFw) {
    const bare = variants.find((v) => v.kind === 'bare');
    for (const v of variants) {
      const cpu = v.samples.map((s) => s.cpuUsPerReq);
      const pairs = v.pairs ?? [];
      const satAddedUs = bare ? saturatedAdded(v, bare) : NaN;
      out.push({
        ...v,
        cpu: median(cpu),
        satAddedUs,
        addedUs: pairs.length ? median(pairs.map((p) => p.addedUs)) : satAddedUs,
        addedUserUs: pairs.length ? median(pairs.map((p) => p.addedUserUs)) : NaN,
        addedSystemUs: pairs.length ? median(pairs.map((p) => p.addedSystemUs)) : NaN,
        pairIqr: pairs.length > 1 ? quartiles(pairs.map((p) => p.addedUs)) : undefined,
        vsCeiling: bare ? v.reqPerSec / bare.reqPerSec : NaN,
        spread: cpu.length > 1 ? [Math.min(...cpu), Math.max(...cpu)] : undefined,
      });
    }
  }
  return out;
}

const withIqr = (r) => `${signed(r.addedUs)} µs${r.pairIqr ? ` (IQR ${r.pairIqr.map((x) => signed(x)).join(' … ')}, ${r.pairs.length} pairs)` : ''}`;

function targetRows(rows) {
  const lines = [];
  const get = (fw, id) => rows.find((r) => r.framework === fw && r.id === id);
  const verdict = (value, limit) => (value <= limit ? 'met' : `missed by ${fmt(value - limit)} µs`);
  for (const [fw, limit] of Object.entries(TARGETS.cached)) {
    const r = get(fw, 'restauth');
    if (r) lines.push([`repeated token: restauth adds ≤ ${limit} µs on ${fw}`, withIqr(r), verdict(r.addedUs, limit)]);
  }
  for (const fw of Object.keys(TARGETS.cached)) {
    const r = get(fw, 'restauth-nocache');
    if (r) lines.push([`first-seen token: restauth adds ≤ ${TARGETS.firstSeen} µs on ${fw}`, withIqr(r), verdict(r.addedUs, TARGETS.firstSeen)]);
  }
  for (const fw of Object.keys(TARGETS.cached)) {
    const jwt = get(fw, 'restauth');
    const api = get(fw, 'restauth-apitoken');
    if (jwt && api) {
      const over = api.addedUs - jwt.addedUs;
      lines.push([`API token (memory store) within ${TARGETS.apiTokenOverJwt} µs of the repeated JWT on ${fw}`, `${signed(over)} µs (${fmt(api.addedUs)} vs ${fmt(jwt.addedUs)})`, verdict(over, TARGETS.apiTokenOverJwt)]);
    }
  }
  for (const fw of Object.keys(TARGETS.cached)) {
    const r = get(fw, 'restauth-nocache');
    const peers = rows.filter((p) => p.framework === fw && p.kind === 'peer' && p.id !== 'fastify-jwt-cache');
    if (!r || !peers.length) continue;
    // Saturated figures on both sides: the peers are not measured in fixed-rate pairs.
    const best = peers.reduce((a, b) => (a.satAddedUs <= b.satAddedUs ? a : b));
    const factor = best.satAddedUs / r.satAddedUs;
    lines.push([`first-seen token on ${fw}: ≈ ${TARGETS.peerFactor}× cheaper than the best uncached peer (${best.label}), saturated`, `${fmt(factor)}× (${fmt(best.satAddedUs)} vs ${fmt(r.satAddedUs)} µs)`, factor >= TARGETS.peerFactor ? 'met' : factor > 1 ? `cheaper, but ${fmt(factor)}× not ${TARGETS.peerFactor}×` : 'missed']);
  }
  return lines;
}

export function report(result) {
  const { settings, machine, http, micro, flood } = result;
  const md = [];
  md.push('# restauth benchmark results');
  md.push('');
  md.push(`Generated by \`npm run bench${settings.mode === 'quick' ? ' -- --quick' : ''}\` on ${machine.date} (commit ${machine.commit}), ${settings.mode} mode: ${settings.rounds} round(s) × ${settings.durationSec} s per variant, ${settings.connections} connections, total run ${Math.round(result.elapsedSec)} s. See [docs/performance.md](../../docs/performance.md) for the method and how to read it.`);
  md.push('');
  md.push('## Machine');
  md.push('');
  md.push(`- CPU: ${machine.cpu}, ${machine.memoryGb} GB RAM, ${machine.os}`);
  md.push(`- Node ${machine.node}, OpenSSL ${machine.openssl}`);
  md.push(`- Load average (1, 5, 15 min) at start: ${machine.loadNow}; at end: ${machine.loadAfter}`);
  md.push(`- ${settings.pinned ? 'Pinned: every server on core 1, the load generator on core 0 (`taskset`)' : 'Not pinned (no taskset, one core, or --no-pin): server and load generator share the cores'}`);
  md.push(`- Versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  md.push('');

  if (http) {
    const rows = analyse(http);
    md.push('## Targets');
    md.push('');
    md.push(table(['Target', 'Measured', 'Result'], targetRows(rows)));
    md.push('');
    md.push(`"Adds" is the server CPU time per request (user + system) with the variant minus without any auth, same framework, both at the same fixed rate of ${settings.rate} req/s: the median of ${settings.pairs} adjacent pairs, measured in alternating order (IQR: the middle half of the pairs). The peer comparison uses the saturated figures (as fast as each server answers) on both sides, since the peers are not measured in pairs. CPU time is read by each server process itself (\`process.cpuUsage()\` over the measured window). The server without auth receives the same Authorization header and ignores it.`);
    md.push('');
    md.push(`## HTTP load (GET /api/items, one RS256 token repeated, ${settings.connections} connections, as fast as each server answers)`);
    for (const fw of [...new Set(rows.map((r) => r.framework))]) {
      const fwRows = rows.filter((r) => r.framework === fw);
      md.push('');
      md.push(`### ${fw}`);
      md.push('');
      md.push(table(
        ['Variant', 'req/s', 'p99 ms', 'req/s vs no auth', 'CPU µs/req', 'range over rounds', 'adds, saturated', `adds at ${settings.rate} req/s (user + system)`],
        fwRows.map((r) => [
          r.kind === 'restauth' ? `**${r.label}**` : r.label,
          int(r.reqPerSec),
          fmt(r.p99Ms, 0),
          r.kind === 'bare' ? '1.00' : fmt(r.vsCeiling, 2),
          fmt(r.cpu),
          r.spread ? `${fmt(r.spread[0])} – ${fmt(r.spread[1])}` : '',
          r.kind === 'bare' ? '—' : signed(r.satAddedUs),
          r.pairs?.length ? `${signed(r.addedUs)} (${signed(r.addedUserUs)} + ${signed(r.addedSystemUs)})` : '',
        ]),
      ));
    }
    md.push('');
    md.push('"adds, saturated": the median over rounds of the difference within each round, as fast as each server answers. "adds at a fixed rate": the median of the paired differences (see Targets), split into user and system time; the median of each part is taken separately, so the parts need not add up to the whole.');
    md.push('');
  }

  if (micro) {
    md.push('## Micro benchmarks (tinybench, one process)');
    md.push('');
    md.push(table(['Operation', 'µs/op (mean)', 'µs/op (p99 of batches)'], micro.rows.map((r) => [r.name, fmt(r.usPerOp, 2), fmt(r.usP99, 2)])));
    for (const n of micro.notes) md.push('', `Note: ${n}`);
    md.push('');
  }

  if (flood) {
    md.push(`## Memory under a flood of ${flood.count.toLocaleString('en-US')} distinct junk tokens`);
    md.push('');
    md.push(table(
      ['', 'RSS MB', 'heap used MB'],
      [['before (after warm-up, GC)', fmt(flood.before.rssMb), fmt(flood.before.heapUsedMb)], ['after (GC)', fmt(flood.after.rssMb), fmt(flood.after.heapUsedMb)]],
    ));
    md.push('');
    md.push(`RSS along the way: ${flood.steps.map((s) => `${s.tokens.toLocaleString('en-US')} → ${fmt(s.rssMb)} MB`).join(', ')}. All ${flood.refused.toLocaleString('en-US')} refused (401); ${fmt(flood.cpuUsPerToken)} µs CPU per junk token on average (one in four costs a full RS256 signature check; the others are an unknown key, \`alg: none\` and no JWS at all), ${fmt(flood.seconds)} s in all.`);
    md.push('');
  }
  return `${md.join('\n')}\n`;
}
