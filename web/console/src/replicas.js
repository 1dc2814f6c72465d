// The status bar's replica line (docs/platform.md, "Replicas"): which replica of the
// platform leads, at which epoch, and whether this page is served by it or by a follower,
// from GET /api/health. Pure functions of the health JSON, so they are tested in node.

// "340 ms" / "1.2 s" of an age in ms.
export function formatAge(ms) {
  const v = Math.max(0, Number(ms) || 0);
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

// {text, title, cls} for the status bar from a health answer: cls is '' (a leader),
// 'warn' (no leader, or the lease cannot be read) or 'bad' (no answer: `error` set).
export function describeHealth(health, error) {
  if (error || !health) {
    return {
      text: 'server unreachable',
      title: error && error.message ? error.message : String(error || 'no answer'),
      cls: 'bad',
    };
  }
  const replicas = Array.isArray(health.replicas) ? health.replicas : [];
  const leader = health.leader;
  const lines = replicas.map((r) => `${r.id}  ${r.address || '-'}  ` +
    `${leader && r.id === leader.replica ? 'leader' : 'follower'}  ` +
    `heartbeat ${formatAge(r.heartbeat_age_ms)} ago`);
  const title = lines.length ? `replicas:\n${lines.join('\n')}` : '';
  if (health.lease_error) {
    return { text: 'leader unknown', title: `${health.lease_error}\n${title}`.trim(), cls: 'warn' };
  }
  if (!leader) {
    return { text: 'no leader: failover in progress', title, cls: 'warn' };
  }
  const where = leader.is_this_replica ? 'this server'
    : `at ${leader.address || '?'}; this server is follower ${health.replica || '?'}`;
  const count = replicas.length > 1 ? ` · ${replicas.length} replicas` : '';
  return { text: `leader ${leader.replica} · epoch ${leader.epoch} · ${where}${count}`, title, cls: '' };
}
