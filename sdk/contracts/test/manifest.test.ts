import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Contracts, manifestDigest, writeManifest } from '@odmd/contracts';
import { runOdmdValidate } from '../src/validate';
import { GOLDEN, odmdBin } from './helpers';
import { sandboxContracts } from './sandbox';

describe('synth', () => {
  it('gives the sandbox org byte-identical to examples/sandbox/manifest.golden.json', () => {
    const golden = readFileSync(GOLDEN, 'utf8');
    assert.equal(sandboxContracts().manifest(), golden);
    assert.equal(sandboxContracts().synth({ odmdBin: odmdBin() }), golden);
  });

  it('is the same whatever the declaration order', () => {
    const c = sandboxContracts();
    const shuffled = structuredClone(c.data);
    shuffled.builds.reverse();
    shuffled.accounts.reverse();
    for (const b of shuffled.builds) {
      b.envers.reverse();
      for (const e of b.envers) e.consumers.reverse();
    }
    assert.equal(writeManifest(shuffled), c.manifest());
  });

  it('escapes and orders strings as the C++ writer does (odmd validate recomputes the digest)', () => {
    const c = new Contracts('odd', '1.0.0-rc.1+build.5');
    const central = c.account('central', '111111111111');
    const repo = c.repo('o', 'r\u00e9po "x"\\', 9007199254740993n);
    c.contractsBuild('contracts', repo).branch('main', central, 'us-east-1');
    const p = c.cdkBuild('prod', c.repo('o', 'p')).branch('main', central, 'us-east-1');
    // Names that sort differently by UTF-16 code unit and by UTF-8 byte, and control bytes.
    const u = p.produces('u\uff21');
    const e = p.produces('u\u{1f600}');
    p.produces('tab\there');
    const svc = c.cdkBuild('svc', c.repo('o', 's')).branch('main', central, 'us-east-1');
    svc.consumes('a\u0001\u007f\b\f\n\r', u, { placeholder: 'line\nbreak \u00e9 \u{1f600} \u2028' });
    svc.consumes('b', e).onChange('ignore');
    svc.workDir('dir/\u00fc').buildScript('./b "q".sh').cloneLimit(0).stacks('svc', 'svc-x');
    const text = c.manifest();
    // UTF-8: U+FF21 is EF BC A1, U+1F600 is F0 9F 98 80 (UTF-16 code units order them the other way).
    assert.match(text, /"name": "u\uff21"\s*\},\s*\{\s*"name": "u\u{1f600}"/u);
    assert.match(text, /"a\\u0001\u007f\\b\\f\\n\\r"/);
    assert.match(text, /"installationId": 9007199254740993/);
    // The reader accepts the document (no M1-M6: its digest, recomputed by the C++ writer,
    // matches); only the product names break a rule, which shows the rules ran.
    const found = runOdmdValidate(odmdBin(), text);
    assert.deepEqual([...new Set(found.map((v) => v.rule))], ['R10']);
    assert.match(text, new RegExp(`"digest": "${manifestDigest(c.data)}"`));
  });

  it('writes configs canonically, as the C++ writer does (odmd validate recomputes the digest)', () => {
    const c = new Contracts('cfg', '1.0.0');
    const central = c.account('central', '111111111111');
    c.contractsBuild('contracts', c.repo('o', 'c')).branch('main', central, 'us-east-1');
    const svc = c.cdkBuild('svc', c.repo('o', 's')).config({ zone: 'z1', cluster: 'blue' });
    svc.branch('main', central, 'us-east-1').config({
      z: { b: [1, 2.5, null, 1e-7, true, 'x\u00e9\n'], a: {}, 'k.2': [] },
      cidr: '10.1.0.0/16',
    });
    svc.branch('dev', central, 'us-east-1').config({});
    const text = c.manifest();
    assert.deepEqual(runOdmdValidate(odmdBin(), text), []);
    assert.match(text, /"installationId": 0\n {6}\},\n {6}"config": \{\n {8}"cluster": "blue",\n {8}"zone": "z1"\n {6}\},\n {6}"envers"/);
    assert.ok(text.includes(
      '          "config": {\n' +
      '            "cidr": "10.1.0.0/16",\n' +
      '            "z": {\n' +
      '              "a": {},\n' +
      '              "b": [\n' +
      '                1,\n' +
      '                2.5,\n' +
      '                null,\n' +
      '                1e-07,\n' +
      '                true,\n' +
      '                "x\u00e9\\n"\n' +
      '              ],\n' +
      '              "k.2": []\n' +
      '            }\n' +
      '          },\n'), text);
    // {} is no config: the dev enver writes none.
    assert.equal(text.split('"config"').length - 1, 2);
  });

  it('declares clones the C++ reader takes as clones of their origin (consumers inherited)', () => {
    const c = new Contracts('clones', '1.0.0');
    const central = c.account('central', '111111111111');
    c.contractsBuild('contracts', c.repo('o', 'c')).branch('main', central, 'us-east-1');
    const lib = c.cdkBuild('lib', c.repo('o', 'l')).branch('main', central, 'us-east-1');
    const url = lib.produces('url');
    const svc = c.cdkBuild('svc', c.repo('o', 's'));
    const master = svc.branch('master', central, 'us-east-1').cloneLimit(1);
    master.consumes('url', url);
    const ta = svc.clone(master, 'ta');
    assert.equal(ta.rev, 'b..master-_b..ta');
    assert.equal(ta.account, 'central');
    const text = c.manifest();
    assert.deepEqual(runOdmdValidate(odmdBin(), text), []);
    const envers = JSON.parse(text).builds.find((b: { id: string }) => b.id === 'svc').envers;
    assert.deepEqual(envers.map((e: { rev: string }) => e.rev), ['b..master', 'b..master-_b..ta']);
    assert.equal('consumers' in envers[1], false);
    // A clone that declares a consumer has its own; a second clone breaks the limit of 1.
    svc.clone(master, 'tb').consumes('own', url);
    const again = c.manifest();
    assert.ok(again.includes('"rev": "b..master-_b..tb"'));
    assert.deepEqual([...new Set(runOdmdValidate(odmdBin(), again).map((v) => v.rule))], ['R9']);
    assert.throws(() => svc.clone(ta, 'x'), /clone\(\): "svc\/b..master-_b..ta" is not a static enver/);
  });

  it('writes doc paths where the C++ writer does, only when declared (odmd validate recomputes the digest)', () => {
    const c = new Contracts('docs', '1.0.0');
    const central = c.account('central', '111111111111');
    c.contractsBuild('contracts', c.repo('o', 'c')).branch('main', central, 'us-east-1');
    const svc = c
      .cdkBuild('svc', c.repo('o', 's'))
      .serviceOverviewMd('docs/OVERVIEW.md')
      .serviceContextMd('docs/CONTEXT.md');
    svc.branch('main', central, 'us-east-1').enverContextMd('docs/MAIN \u00e9.md');
    svc.branch('dev', central, 'us-east-1');
    const text = c.manifest();
    assert.deepEqual(runOdmdValidate(odmdBin(), text), []);
    assert.match(
      text,
      /"installationId": 0\n {6}\},\n {6}"serviceOverviewMd": "docs\/OVERVIEW.md",\n {6}"serviceContextMd": "docs\/CONTEXT.md",\n {6}"envers"/,
    );
    assert.match(text, /"overwriteWorkflow": false,\n {10}"enverContextMd": "docs\/MAIN \u00e9.md",\n {10}"products"/);
    // The dev enver declares none: it takes the default, and nothing is written.
    assert.equal(text.split('"enverContextMd"').length - 1, 1);
    assert.equal(new Contracts('x', '1.0.0').manifest().includes('Md"'), false);

    // A path that leaves the repository is R14 at its member.
    svc.branch('bad', central, 'us-east-1').enverContextMd('../README.md');
    const found = runOdmdValidate(odmdBin(), c.manifest());
    assert.deepEqual(found.map((v) => [v.rule, v.path]), [['R14', '/builds/1/envers/0/enverContextMd']]);
    assert.match(found[0]!.message, /enverContextMd "..\/README.md" must not have a ".." segment/);
  });

  it('writes a lone surrogate as U+FFFD, as the C++ writer does with invalid UTF-8', () => {
    const c = new Contracts('org', '1.0.0');
    c.account('central\ud800', '111111111111');
    assert.match(c.manifest(), /"central\ufffd"/);
  });
});
