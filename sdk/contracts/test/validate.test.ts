import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Contracts, ContractsError, findOdmd, type Violation } from '@odmd/contracts';
import { odmdBin } from './helpers';
import { badContracts } from './bad-org';
import { sandboxContracts } from './sandbox';

function only(violations: readonly Violation[], rule: string): Violation {
  const found = violations.filter((v) => v.rule === rule);
  assert.equal(found.length, 1, `one ${rule} in ${violations.map((v) => v.text).join('\n')}`);
  return found[0]!;
}

describe('validation by the odmd binary', () => {
  it('accepts the sandbox org', () => {
    assert.deepEqual(sandboxContracts().validate({ odmdBin: odmdBin() }), []);
  });

  it('reports every violation of a bad org at once, each with its rule and builder', () => {
    const violations = badContracts().validate({ odmdBin: odmdBin() });
    const rules = new Set(violations.map((v) => v.rule));
    for (const rule of ['R1', 'R2', 'R8']) assert.ok(rules.has(rule), `${rule} in ${[...rules]}`);

    const dup = only(violations, 'R1');
    assert.equal(dup.builder, 'contracts.cdkBuild("svcA")');
    assert.match(dup.at ?? '', /bad-org\.ts:13:\d+$/);
    assert.match(dup.message, /duplicate build id "svcA"/);

    const rev = only(violations, 'R2');
    assert.equal(rev.builder, 'build("svcC").branch("ma..in")');
    assert.match(rev.at ?? '', /bad-org\.ts:14:\d+$/);
    assert.equal(rev.path, '/builds/4/envers/0/rev'); // contracts, svcA, svcA, svcB, svcC

    const cycle = only(violations, 'R8');
    assert.match(cycle.message, /cycle without placeholder/);
    assert.match(cycle.builder, /^enver\("svcA\/b\.\.main"\)\.consumes\("fromB"\)$/);
    assert.match(cycle.at ?? '', /bad-org\.ts:11:\d+$/);
    assert.match(cycle.text, /^R8 \/builds\/\d\/envers\/0\/consumers\/0: .*\[by enver/);
  });

  it('runs the rules around an enver whose rev does not parse and names it as written', () => {
    const c = new Contracts('x', '1.0.0');
    const central = c.account('central', '111111111111');
    c.contractsBuild('contracts', c.repo('o', 'contracts')).branch('main', central, 'us-east-1');
    const a = c.cdkBuild('svcA', c.repo('o', 'a')).branch('ma..in', central, 'us-east-1');
    const b = c.cdkBuild('svcB', c.repo('o', 'b')).branch('main', central, 'us-east-1');
    a.consumes('fromB', b.produces('outB'));
    b.consumes('fromA', a.produces('outA'));
    const violations = c.validate({ odmdBin: odmdBin() });
    assert.deepEqual(
      violations.map((v) => `${v.rule} ${v.path} ${v.builder}`),
      [
        'R2 /builds/1/envers/0/rev build("svcA").branch("ma..in")',
        'R8 /builds/1/envers/0/consumers/0 enver("svcA/b..ma..in").consumes("fromB")',
      ],
    );
    assert.match(violations[1]!.message, /svcA\/b\.\.ma\.\.in -> svcB\/b\.\.main -> svcA\/b\.\.ma\.\.in/);
    assert.doesNotMatch(JSON.stringify(violations), /StandIn/);
  });

  it('synth() throws them all in a ContractsError and gives no manifest', () => {
    assert.throws(
      () => badContracts().synth({ odmdBin: odmdBin() }),
      (err: unknown) => {
        assert.ok(err instanceof ContractsError);
        assert.equal(err.violations.length >= 3, true);
        assert.match(err.message, /no manifest written/);
        for (const rule of ['R1', 'R2', 'R8']) assert.match(err.message, new RegExp(`\\n  ${rule} `));
        return true;
      },
    );
  });

  it('reports a version that is not semver together with the rules', () => {
    const c = sandboxContracts('1.0');
    const central = { name: 'central', id: '590184031795' };
    c.cdkBuild('centralLogging', c.repo('o', 'x')).branch('dev', central, 'us-west-1');
    const rules = c.validate({ odmdBin: odmdBin() }).map((v) => `${v.rule} ${v.builder}`);
    assert.deepEqual(rules, [
      'M4 new Contracts("sandbox", "1.0")',
      'R1 contracts.cdkBuild("centralLogging")',
    ]);
  });

  it('names the odmd binary when it is missing', () => {
    assert.throws(
      () => sandboxContracts().synth({ odmdBin: '/nonexistent/odmd' }),
      /odmd binary "\/nonexistent\/odmd" \(from the odmdBin option\) is not an executable file/,
    );
    const saved = { bin: process.env['ODMD_BIN'], path: process.env['PATH'] };
    try {
      delete process.env['ODMD_BIN'];
      process.env['PATH'] = '/nonexistent';
      assert.throws(() => findOdmd(), /put odmd on PATH/);
    } finally {
      process.env['ODMD_BIN'] = saved.bin;
      process.env['PATH'] = saved.path;
    }
  });
});
