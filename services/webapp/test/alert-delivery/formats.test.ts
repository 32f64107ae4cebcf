import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertmanagerAlerts, mailContent } from '../../src/alerting/delivery/formats.js';
import { expandMuninTemplate, notificationScope } from '../../src/alerting/delivery/munin-template.js';
import { retryDecision } from '../../src/alerting/delivery/retry-policy.js';
import { hostGlobMatches, hostGlobProblem, matchingSilence } from '../../src/alerting/delivery/silences.js';
import { loadWebappConfig } from '../../src/config.js';
import { makeNotification } from './world.js';

describe('delivery message forms, retry policy and silence matching', () => {
  it('Alertmanager: a problem fires, a change of severity resolves the previous one, a recovery resolves', () => {
    const day = 86_400_000;
    const firing = alertmanagerAlerts(makeNotification({ previous: 'OK', state: 'WARNING', changedAt: 1000 }), day);
    assert.deepEqual(
      firing.map((a) => [a.labels.severity, a.startsAt, a.endsAt]),
      [['warning', '1970-01-01T00:16:40.000Z', '1970-01-02T00:16:40.000Z']],
    );
    const worse = alertmanagerAlerts(makeNotification({ previous: 'WARNING', state: 'CRITICAL', changedAt: 1000 }), day);
    assert.deepEqual(
      worse.map((a) => [a.labels.severity, a.endsAt]),
      [
        ['warning', '1970-01-01T00:16:40.000Z'],
        ['critical', '1970-01-02T00:16:40.000Z'],
      ],
    );
    const recovered = alertmanagerAlerts(makeNotification({ previous: 'UNKNOWN', state: 'OK', changedAt: 1000 }), day);
    assert.deepEqual(
      recovered.map((a) => [a.labels.severity, a.endsAt]),
      [['unknown', '1970-01-01T00:16:40.000Z']],
    );
    const repeat = alertmanagerAlerts(makeNotification({ previous: 'CRITICAL', state: 'CRITICAL', repeat: true }), day);
    assert.deepEqual(
      repeat.map((a) => a.labels.severity),
      ['critical'],
    );
    assert.equal(alertmanagerAlerts(makeNotification({ url: 'javascript:alert(1)' }), day)[0].generatorURL, undefined);
  });

  it('mail subject: repeats say still, a prefix can be empty, a newline in a name never reaches the header', () => {
    const repeat = mailContent(makeNotification({ previous: 'CRITICAL', state: 'CRITICAL', repeat: true, hostName: 'a\r\nb' }), '');
    assert.equal(repeat.subject, 'still CRITICAL: a b (web1.example) :: cpu :: user');
    assert.doesNotMatch(repeat.text.split('\n')[0], /\r/);
  });

  it("munin's ${var:...} expand into one value each", () => {
    const scope = notificationScope(makeNotification({ state: 'WARNING' }));
    assert.equal(
      expandMuninTemplate('Munin ${var:worst} ${var:worstid}: ${var:host}::${var:plugin} ${var:x}', scope),
      'Munin WARNING 1: web1::cpu ',
    );
  });

  it("munin-limits' loops, conditions and truncations, with munin's default contact text", () => {
    // munin's own default `contact.NAME.text` (Munin::Master::LimitsOld), shortened to its three first parts.
    const munin =
      '${var:host} :: ${var:graph_title}${if:cfields \\n\\tCRITICALs:${loop<,>:cfields  ${var:label} is ${var:value} (outside range [${var:crange}])${if:extinfo : ${var:extinfo}}}.}' +
      '${if:wfields \\n\\tWARNINGs:${loop<,>:wfields  ${var:label} is ${var:value} (outside range [${var:wrange}])${if:extinfo : ${var:extinfo}}}.}' +
      '${if:fofields \\n\\tOKs:${loop<,>:fofields  ${var:label} is ${var:value}${if:extinfo : ${var:extinfo}}}.}';
    const critical = notificationScope(
      makeNotification({ state: 'CRITICAL', value: 93.5, reason: 'value 93.5 outside critical range :90' }),
    );
    assert.equal(expandMuninTemplate(munin, critical), 'web1 :: cpu\\n\\tCRITICALs: user is 93.5 (outside range [:90]).');
    const recovered = notificationScope(makeNotification({ previous: 'CRITICAL', state: 'OK', value: 12, reason: 'value 12 ok' }));
    assert.equal(expandMuninTemplate(munin, recovered), 'web1 :: cpu\\n\\tOKs: user is 12.');
    assert.equal(expandMuninTemplate('${if:!cfields fine}${if:cfields bad}', recovered), 'fine');
    assert.equal(expandMuninTemplate('${strtrunc:3 ${var:host}}!', critical), 'web!');
    // A loop variable from the field's scope, the host from its parent (munin_get walks up).
    assert.equal(expandMuninTemplate('${loop<;>:cfields ${var:host}/${var:label}=${var:value}}', critical), 'web1/user=93.5');
    assert.equal(expandMuninTemplate('${loop:cfields [${var:label}]}', critical), '[user]');
    // Unknown constructs as munin keeps them; unbalanced text as written; values never expanded again.
    assert.equal(expandMuninTemplate('a ${foo:bar} b ${var:host', critical), 'a {foo:bar} b ${var:host');
    const hostile = notificationScope(makeNotification({ hostName: '${var:worst} ${loop<,>:cfields x}' }));
    assert.equal(expandMuninTemplate('<${var:host}>', hostile), '<${var:worst} ${loop<,>:cfields x}>');
  });

  it('backoff doubles to its cap with half of each step random, and gives up by attempts, age or a permanent error', () => {
    const policy = { backoff_initial_ms: 1000, backoff_max_ms: 8000, max_attempts: 6, max_age_ms: 3_600_000 };
    const at = (attempts: number, random: number) =>
      retryDecision(policy, { attempts, createdAtMs: 0, nowMs: 10_000, permanent: false }, () => random);
    assert.deepEqual(at(1, 0), { retry: true, atMs: 10_500 });
    assert.deepEqual(at(1, 0.999), { retry: true, atMs: 11_000 });
    assert.deepEqual(at(3, 0), { retry: true, atMs: 12_000 });
    assert.deepEqual(at(5, 0), { retry: true, atMs: 14_000 }, 'capped at 8 s');
    assert.equal(at(6, 0).retry, false);
    assert.equal(retryDecision(policy, { attempts: 1, createdAtMs: 0, nowMs: 10_000, permanent: true }, () => 0).retry, false);
    const old = retryDecision(policy, { attempts: 2, createdAtMs: 0, nowMs: 3_599_500, permanent: false }, () => 0);
    assert.deepEqual(old.retry, false);
  });

  it("silences' host globs: the rules' Graphite globs, or the exact name; no catastrophic backtracking", () => {
    assert.ok(hostGlobMatches('db*.example', 'db12.example'));
    assert.ok(hostGlobMatches('*', ''));
    assert.ok(hostGlobMatches('w?b*', 'web1'));
    assert.ok(!hostGlobMatches('db*.example', 'web1.example'));
    assert.ok(hostGlobMatches('[ab]', 'a'), 'a class, as in a rule');
    assert.ok(hostGlobMatches('{web,db}1.example', 'db1.example') && !hostGlobMatches('{web,db}1.example', 'mx1.example'), 'value lists');
    assert.ok(hostGlobMatches('web{1', 'web{1') && !hostGlobMatches('web{1', 'web1'), 'not a glob: only the name it equals');
    assert.ok(hostGlobMatches('web[1]', 'web[1]'), 'a host ID with glob characters matches itself');
    assert.match(String(hostGlobProblem('web{1')), /\{/);
    assert.equal(hostGlobProblem('db?.exam*'), null);
    assert.ok(!hostGlobMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(300)), 'a hostile pattern is an automaton, not a backtracking walk');
    const n = makeNotification();
    assert.equal(
      matchingSilence(n, [{ id: 1, ruleKey: null, hostGlob: 'web1', plugin: 'cpu', field: null }])?.id,
      1,
      'the host name matches too',
    );
    assert.equal(matchingSilence(n, [{ id: 1, ruleKey: null, hostGlob: null, plugin: 'cpu', field: 'system' }]), undefined);
  });

  it('[delivery] refuses a lease shorter than two send timeouts, naming the key', () => {
    assert.throws(
      () =>
        loadWebappConfig(undefined, false, { NUMETER_WEBAPP_DELIVERY_LEASE_MS: '10000', NUMETER_WEBAPP_DELIVERY_SEND_TIMEOUT_MS: '6000' }),
      /lease_ms.*twice send_timeout_ms/s,
    );
    assert.throws(
      () => loadWebappConfig(undefined, false, { NUMETER_WEBAPP_SMTP_STARTTLS: 'maybe' }),
      /starttls.*one of auto, require, never/s,
    );
    const config = loadWebappConfig(undefined, false, { NUMETER_WEBAPP_SMTP_PORT: '2525' });
    assert.equal(config.smtp.port, 2525);
    assert.equal(config.delivery.max_attempts, 10);
  });
});
