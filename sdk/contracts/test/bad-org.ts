// An org with three unrelated mistakes: a duplicate build id (R1), a cycle without a
// placeholder (R8) and a rev that does not parse (R2). The tests check the line numbers.
import { Contracts } from '@odmd/contracts';

export function badContracts(): Contracts {
  const c = new Contracts('bad', '1.0.0');
  const central = c.account('central', '111111111111');
  c.contractsBuild('contracts', c.repo('o', 'contracts')).branch('main', central, 'us-east-1');
  const a = c.cdkBuild('svcA', c.repo('o', 'a')).branch('main', central, 'us-east-1');
  const b = c.cdkBuild('svcB', c.repo('o', 'b')).branch('main', central, 'us-east-1');
  a.consumes('fromB', b.produces('outB')); // line 11: the cycle
  b.consumes('fromA', a.produces('outA'));
  c.cdkBuild('svcA', c.repo('o', 'a2')); // line 13: the duplicate
  c.cdkBuild('svcC', c.repo('o', 'c')).branch('ma..in', central, 'us-east-1'); // line 14: bad rev
  return c;
}

export default badContracts;
