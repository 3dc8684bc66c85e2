/**
 * The PagerDuty source against a local server speaking REST API v2's /oncalls and /incidents with
 * classic pagination: on-call names per team (never contact details), incidents per stack, and
 * failures that cost only the on-call line and the incidents, never the report.
 */
import type { PagerdutySourceConfig } from '../../../src/config/schema';
import { silentLogger } from '../../../src/logger';
import { createPagerdutySource, displayName } from '../../../src/sources/pagerduty';
import type { EventQuery, SourceContext, SourcePlan } from '../../../src/sources/types';
import { startFakePagerduty, type FakePagerduty, type FakeUser } from './fake-pagerduty';

const hour = 3_600_000;
const day = 24 * hour;
const reportTime = Date.UTC(2026, 10, 18, 8);
const token = 'pd-fake-token-3'; // fake, short of the secret scanner's length

const ada: FakeUser = {
  id: 'PUSER01',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  phone: '+44 20 7946 0000',
};
const grace: FakeUser = {
  id: 'PUSER02',
  name: 'Grace Hopper',
  email: 'grace@example.com',
  phone: '+1 202 555 0100',
};
const linus: FakeUser = {
  id: 'PUSER03',
  name: 'Linus T',
  email: 'linus@example.com',
  phone: '+358 40 1234567',
};

let pd: FakePagerduty;
const sleeps: number[] = [];

beforeAll(async () => {
  pd = await startFakePagerduty({ token });
});
afterAll(async () => {
  await pd?.close();
});
beforeEach(() => {
  pd.requests.length = 0;
  pd.script.length = 0;
  sleeps.length = 0;
  const payments = { id: 'PEP0001', name: 'Payments escalation' };
  const primary = { id: 'PSCHED1', name: 'Payments primary' };
  pd.oncalls = [
    // Handover at 08:00 UTC (the report time): the earlier shift must not show.
    {
      user: grace,
      schedule: primary,
      escalationPolicy: payments,
      level: 1,
      start: reportTime - day,
      end: reportTime,
    },
    {
      user: ada,
      schedule: primary,
      escalationPolicy: payments,
      level: 1,
      start: reportTime,
      end: reportTime + day,
    },
    { user: linus, escalationPolicy: payments, level: 2 },
    { user: linus, escalationPolicy: { id: 'PEP0002', name: 'Search escalation' }, level: 1 },
  ];
  pd.incidents = Array.from({ length: 230 }, (_, i) => ({
    id: `PINC${String(i).padStart(3, '0')}`,
    number: 1000 + i,
    title: `Checkout errors burst ${i}`,
    service: i % 2 === 0 ? 'PSVC001' : 'PSVC002',
    status: i === 0 ? ('triggered' as const) : ('resolved' as const),
    urgency: i % 3 === 0 ? ('high' as const) : ('low' as const),
    createdAt: reportTime - hour - i * hour,
    ...(i === 0 ? {} : { resolvedAt: reportTime - i * hour }),
  }));
});

const ctx: SourceContext = {
  configDir: __dirname,
  reportTime,
  logger: silentLogger,
  now: () => reportTime,
  sleep: (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
  random: () => 0.5,
};

function config(extra: Partial<PagerdutySourceConfig> = {}): PagerdutySourceConfig {
  return {
    id: 'pd',
    type: 'pagerduty',
    url: pd.url,
    token,
    teams: { payments: { schedule: 'PSCHED1' }, search: { escalationPolicy: 'PEP0002' } },
    ...extra,
  };
}

const incidentQueries: EventQuery[] = [
  { stackId: 'checkout', kind: 'incidents', query: 'PSVC001' },
  { stackId: 'search', kind: 'incidents', query: 'PSVC002' },
];

function plan(events: EventQuery[] = incidentQueries, teams = ['payments', 'search']): SourcePlan {
  return {
    start: reportTime - 8 * day,
    end: reportTime,
    groups: [],
    eventsStart: reportTime - 15 * day,
    events,
    teams,
  };
}

const fetchWith = (p: SourcePlan = plan(), extra: Partial<PagerdutySourceConfig> = {}) =>
  createPagerdutySource(config(extra), ctx).fetch(p, new AbortController().signal);

describe('on-call', () => {
  it("names who is on call per team at the report time: a schedule, or an escalation policy's first level", async () => {
    const result = await fetchWith(plan([]));

    expect(result.onCall).toEqual([
      { team: 'payments', names: ['Ada Lovelace'], of: 'Payments primary' },
      { team: 'search', names: ['Linus T'], of: 'Search escalation' },
    ]);
    const oncallRequests = pd.requests.filter((r) => r.path === '/oncalls');
    expect(oncallRequests.map((r) => [...r.query.keys()].sort())).toEqual([
      ['limit', 'offset', 'schedule_ids[]', 'since', 'time_zone', 'until'],
      ['escalation_policy_ids[]', 'limit', 'offset', 'since', 'time_zone', 'until'],
    ]);
    expect(pd.requests[0]!.authorization).toBe(`Token token=${token}`);
  });

  it('never lets an email or phone number through, even from a name field', async () => {
    const result = await fetchWith(plan([]));

    const text = JSON.stringify(result);
    for (const user of [ada, grace, linus]) {
      expect(text).not.toContain(user.email);
      expect(text).not.toContain(user.phone);
    }
    expect(displayName('grace.hopper@example.com')).toBe('grace.hopper');
    expect(displayName('Ada Lovelace +44 20 7946 0000')).toBe('Ada Lovelace');
  });

  it('asks only for the teams being reported', async () => {
    const result = await fetchWith(plan([], ['search']));

    expect(result.onCall?.map((o) => o.team)).toEqual(['search']);
    expect(pd.requests.map((r) => r.path)).toEqual(['/oncalls']);
  });
});

describe('incidents', () => {
  it("reads every page of the services' incidents and gives each stack its own", async () => {
    const result = await fetchWith(plan(incidentQueries, []));

    // 230 incidents over 230 hours; 14 + 1 days back keeps all of them: three pages of 100.
    const pages = pd.requests.filter((r) => r.path === '/incidents');
    expect(pages.map((r) => r.query.get('offset'))).toEqual(['0', '100', '200']);
    expect(pages[0]!.query.getAll('service_ids[]')).toEqual(['PSVC001', 'PSVC002']);
    expect(result.events).toHaveLength(230);
    expect(result.events.filter((e) => e.stackId === 'checkout')).toHaveLength(115);
    expect(result.events.find((e) => e.title.startsWith('#1000 '))).toEqual({
      stackId: 'checkout',
      kind: 'incidents',
      at: reportTime - hour,
      title: '#1000 Checkout errors burst 0',
      url: 'https://acme.pagerduty.com/incidents/PINC000',
      urgency: 'high',
    });
    expect(result.events.find((e) => e.title.startsWith('#1001 '))).toMatchObject({
      stackId: 'search',
      urgency: 'low',
      resolvedAt: reportTime - hour,
    });
    expect(result.health).toEqual({
      id: 'pd',
      type: 'pagerduty',
      status: 'ok',
      requests: 3,
      retries: 0,
      errors: [],
    });
  });
});

describe('a PagerDuty failure costs the on-call line and the incidents, not the report', () => {
  it('401: on-call unknown with the reason, no token in it, and nothing more sent', async () => {
    const result = await createPagerdutySource({ ...config(), token: 'wrong-pd-token' }, ctx).fetch(
      plan(),
      new AbortController().signal,
    );

    expect(result.onCall).toEqual([
      expect.objectContaining({
        team: 'payments',
        names: [],
        error: expect.stringMatching(
          /^source "pd": not authenticated \(HTTP 401: Unauthorized\); check the token of source "pd"/,
        ) as string,
      }),
      expect.objectContaining({
        team: 'search',
        names: [],
        error: expect.stringMatching(/not authenticated/) as string,
      }),
    ]);
    expect(result.series).toEqual([]);
    expect(result.failures).toEqual([]);
    // Each stack's incidents are unknown with the reason, never "0 incidents".
    expect(result.events).toEqual([]);
    expect(result.eventFailures).toEqual(
      incidentQueries.map((q) => ({
        stackId: q.stackId,
        kind: 'incidents',
        error: expect.stringMatching(/^source "pd": (not sent: )?not authenticated/) as string,
      })),
    );
    expect(result.health.status).toBe('failed');
    expect(JSON.stringify(result)).not.toContain('wrong-pd-token');
  });

  it('an incidents outage: each stack that asked has its incidents unknown with the reason, never 0', async () => {
    for (let i = 0; i < 4; i++)
      pd.script.push({ status: 500, body: { error: { message: 'Internal Server Error' } } });

    const result = await fetchWith(plan(incidentQueries, []));

    expect(result.events).toEqual([]);
    const error = 'source "pd": GET /incidents: HTTP 500: Internal Server Error';
    expect(result.eventFailures).toEqual([
      { stackId: 'checkout', kind: 'incidents', error },
      { stackId: 'search', kind: 'incidents', error },
    ]);
    expect(result.health).toMatchObject({ status: 'failed', requests: 4, retries: 3, errors: [error] });
  });

  it('429 with Retry-After: waits as told and carries on', async () => {
    pd.script.push({
      status: 429,
      headers: { 'Retry-After': '3' },
      body: { error: { message: 'Rate Limit Exceeded', code: 2020 } },
    });

    const result = await fetchWith(plan([], ['payments']));

    expect(sleeps).toEqual([3000]);
    expect(result.onCall).toEqual([{ team: 'payments', names: ['Ada Lovelace'], of: 'Payments primary' }]);
  });

  it('an outage (503 every time): unknown, saying so', async () => {
    for (let i = 0; i < 8; i++)
      pd.script.push({ status: 503, body: { error: { message: 'Service Unavailable' } } });

    const result = await fetchWith(plan([], ['payments']));

    expect(result.onCall).toEqual([
      {
        team: 'payments',
        names: [],
        of: 'PSCHED1',
        error: 'source "pd": GET /oncalls: HTTP 503: Service Unavailable',
      },
    ]);
  });

  it('an answer of the wrong shape: unknown, saying what was wrong', async () => {
    pd.script.push({ status: 200, body: { oncalls: 'none' } });

    const result = await fetchWith(plan([], ['payments']));

    expect(result.onCall?.[0]?.error).toMatch(/^source "pd": unexpected answer from \/oncalls: /);
  });

  it('no answer in time: unknown, with the timeout said', async () => {
    pd.script.push('hang');

    const result = await fetchWith(plan([], ['payments']), { timeoutMs: 200, maxAttempts: 1 });

    expect(result.onCall?.[0]?.error).toMatch(/no answer within 200 ms \(GET \/oncalls/);
  });
});
