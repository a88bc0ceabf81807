import { DeliveryError } from '../../libs/audit-log/src/destinations/transports/transport';
import { AUDITKIT_SD_ID } from '../../libs/audit-log/src/destinations/transports/syslog-message';
import {
  SyslogTransport,
  SyslogTransportOptions,
} from '../../libs/audit-log/src/destinations/transports/syslog-transport';
import { Rsyslog, ReceivedMessage } from '../support/rsyslog';
import { StallingProxy } from '../support/rsyslog-proxy';
import { batchesOf, batchOf, hashOf, seqRange } from '../support/rsyslog-batches';
import { waitFor } from '../support/wait-for';

const ORG = 'acme';

const seqsOf = (messages: ReceivedMessage[]) =>
  messages.map((m) => Number(m.sd[AUDITKIT_SD_ID].seq));

/** Rejects with the DeliveryError of `promise`, failing if it resolves or throws anything else. */
async function deliveryError(promise: Promise<void>): Promise<DeliveryError> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe('SyslogTransport against a real rsyslog (RFC 5425 over TLS)', () => {
  let rsyslog: Rsyslog;
  const transports: SyslogTransport[] = [];

  const transport = (options: Partial<SyslogTransportOptions> = {}) => {
    const t = new SyslogTransport({
      host: '127.0.0.1',
      port: rsyslog.port,
      tls: { ca: rsyslog.pki.caPem },
      hostname: 'auditkit-test',
      ...options,
    });
    transports.push(t);
    return t;
  };

  beforeAll(async () => {
    // Room for the big-event test's whole message.
    rsyslog = await Rsyslog.start({ maxMessageSize: 65536, queue: 'direct' });
  });

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await rsyslog?.close();
  });

  // Each test reads only what it sent: everything rsyslog wrote after `mark()`.
  let start = 0;
  const mark = () => (start = rsyslog.received().length);
  const receivedSince = async (count: number) =>
    (await rsyslog.waitForReceived(start + count)).slice(start);
  beforeEach(() => {
    mark();
  });

  it('delivers a batch as one RFC 5424 message per event, in order, with the batch in the SD', async () => {
    const batch = batchOf(ORG, 1, 5, 'dest-1', (seq) => ({
      outcome: seq === 3 ? 'failure' : 'success',
    }));
    await transport().deliver(batch);

    const got = await receivedSince(5);
    expect(got).toHaveLength(5);
    expect(seqsOf(got)).toEqual([1, 2, 3, 4, 5]);
    got.forEach((m, i) => {
      const event = batch.events[i];
      const attributes = event.attributes as Record<string, unknown>;
      // facility 13 (log audit); notice, but warning for a failure.
      expect(m.pri).toBe(13 * 8 + (attributes.outcome === 'failure' ? 4 : 5));
      expect(m.time).toBe(attributes.time);
      expect(m).toMatchObject({
        hostname: 'auditkit-test',
        appName: 'auditkit',
        procid: '-',
        msgid: 'group_created',
      });
      expect(m.sd).toEqual({
        [AUDITKIT_SD_ID]: {
          org: ORG,
          seq: String(attributes.seq),
          id: event.id,
          first: '1',
          last: '5',
          lastHash: hashOf(ORG, 5),
        },
      });
      expect(JSON.parse(m.msg)).toEqual(event);
    });
  });

  it('delivers many batches in order, each exactly once', async () => {
    const t = transport();
    for (const batch of batchesOf('many', 300, 25)) await t.deliver(batch);
    const got = await receivedSince(300);
    expect(seqsOf(got)).toEqual(seqRange(1, 300));
  });

  it('escapes ", \\ and ] in SD-PARAM values and keeps non-ASCII intact', async () => {
    const org = 'a"b]c\\d ü€😀';
    const batch = batchOf(org, 1, 1, 'dest-1', () => ({ action: 'rôle changé' }));
    await transport().deliver(batch);
    const [m] = await receivedSince(1);
    expect(m.rawSd).toContain(' org="a\\"b\\]c\\\\d ü€😀"');
    expect(m.sd[AUDITKIT_SD_ID].org).toBe(org);
    // MSGID is printable ASCII only; the action itself is in the JSON.
    expect(m.msgid).toBe('r_le_chang_');
    expect(JSON.parse(m.msg)).toEqual(batch.events[0]);
  });

  it('rejects while rsyslog is down, then delivers the same batch once it is back', async () => {
    const t = transport();
    await rsyslog.stop();
    try {
      const error = await deliveryError(t.deliver(batchOf('outage', 1, 10)));
      expect(error.permanent).toBe(false);
    } finally {
      await rsyslog.restart();
    }
    mark();
    await t.deliver(batchOf('outage', 1, 10));
    await t.deliver(batchOf('outage', 11, 20));
    expect(seqsOf(await receivedSince(20))).toEqual(seqRange(1, 20));
  });

  it('connects for a test batch (no event): rejects while rsyslog is down or the CA is wrong', async () => {
    const probe = { ...batchOf('probe', 1, 0), events: [], test: true };
    await transport().deliver(probe);
    const wrongCa = await deliveryError(
      transport({ tls: { ca: rsyslog.pki.otherCaPem } }).deliver(probe),
    );
    expect(wrongCa.permanent).toBe(true);
    await rsyslog.stop();
    try {
      expect((await deliveryError(transport().deliver(probe))).permanent).toBe(false);
    } finally {
      await rsyslog.restart();
    }
  });

  it('is at least once when rsyslog is killed mid-batch: no seq missing, duplicates only of that batch', async () => {
    const size = 100;
    const batches = batchesOf('killed', 600, size);
    // The third batch's connection stalls halfway through, so the kill lands mid-batch.
    const proxy = await StallingProxy.start(rsyslog.port, 3, 40_000);
    const t = transport({ port: proxy.port });
    const failed: number[] = [];
    // The dispatcher's part: the same batch again until it is taken, then the next.
    const dispatcher = (async () => {
      for (const batch of batches) {
        for (;;) {
          try {
            await t.deliver(batch);
            break;
          } catch (err) {
            expect(err).toBeInstanceOf(DeliveryError);
            failed.push(batch.firstSeq);
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
    })();
    try {
      await waitFor('rsyslog to write part of the third batch', () => {
        const written = rsyslog.receivedCount() - start;
        return proxy.stalled && written > 2 * size;
      });
      await rsyslog.kill();
      await rsyslog.restart();
      await dispatcher;
    } finally {
      await proxy.close();
    }

    expect(new Set(failed)).toEqual(new Set([201]));
    const seqs = seqsOf(await receivedSince(600));
    const seen = new Set<number>();
    const firstSeen: number[] = [];
    const duplicates: number[] = [];
    for (const seq of seqs) {
      (seen.has(seq) ? duplicates : firstSeen).push(seq);
      seen.add(seq);
    }
    expect(firstSeen).toEqual(seqRange(1, 600));
    // What rsyslog wrote of the third batch before the kill came again with the whole batch.
    expect(duplicates.length).toBeGreaterThan(0);
    expect(duplicates.filter((seq) => seq < 201 || seq > 300)).toEqual([]);
  });

  it('gives up on a receiver that stops reading after timeoutMs, as a transient error', async () => {
    const proxy = await StallingProxy.start(rsyslog.port, 1, 40_000);
    const t = transport({ port: proxy.port, timeoutMs: 1000 });
    try {
      const error = await deliveryError(t.deliver(batchOf('stalled', 1, 100)));
      expect(error.permanent).toBe(false);
      expect(error.message).toMatch(/within 1000 ms/);
      // The next connection is not held back: the same batch goes through.
      await t.deliver(batchOf('stalled', 1, 100));
    } finally {
      await proxy.close();
    }
    const seqs = seqsOf(
      (await receivedSince(100)).filter((m) => m.sd[AUDITKIT_SD_ID].org === 'stalled'),
    );
    expect([...new Set(seqs)]).toEqual(seqRange(1, 100));
  });

  it('cuts an event bigger than maxMessageBytes and flags it; takes it whole when allowed', async () => {
    const big = (seq: number) => ({ metadata: { blob: 'x'.repeat(20_000), seq } });
    await transport().deliver(batchOf('big', 1, 1, 'dest-1', big));
    await transport({ maxMessageBytes: 65_536 }).deliver(batchOf('big', 2, 2, 'dest-1', big));
    const [cut, whole] = await receivedSince(2);

    expect(Buffer.byteLength(cut.msg)).toBeLessThan(8192);
    const full = JSON.stringify(batchOf('big', 1, 1, 'dest-1', big).events[0]);
    expect(cut.sd[AUDITKIT_SD_ID]).toMatchObject({ seq: '1', truncated: String(full.length) });
    expect(full.startsWith(cut.msg)).toBe(true);

    expect(whole.sd[AUDITKIT_SD_ID].truncated).toBeUndefined();
    expect(JSON.parse(whole.msg)).toEqual(batchOf('big', 2, 2, 'dest-1', big).events[0]);
  });

  it('fails permanently on a certificate it cannot verify, or for another name', async () => {
    const wrongCa = await deliveryError(
      transport({ tls: { ca: rsyslog.pki.otherCaPem } }).deliver(batchOf('tls', 1, 1)),
    );
    expect(wrongCa.permanent).toBe(true);
    const wrongName = await deliveryError(
      transport({ tls: { ca: rsyslog.pki.caPem, servername: 'siem.example.com' } }).deliver(
        batchOf('tls', 1, 1),
      ),
    );
    expect(wrongName.permanent).toBe(true);
    expect(wrongName.message).toMatch(/siem\.example\.com/);
  });

  it('sends plain TCP to a loopback relay when tls is false', async () => {
    await transport({ port: rsyslog.plainPort, tls: false }).deliver(batchOf('plain', 1, 3));
    expect(seqsOf(await receivedSince(3))).toEqual([1, 2, 3]);
  });

  it('rejects an aborted delivery and any delivery after close', async () => {
    const t = transport();
    const controller = new AbortController();
    controller.abort();
    expect(
      (await deliveryError(t.deliver(batchOf('abort', 1, 1), controller.signal))).permanent,
    ).toBe(false);
    await t.close();
    await deliveryError(t.deliver(batchOf('abort', 1, 1)));
  });
});

describe('SyslogTransport with mutual TLS (rsyslog x509/name)', () => {
  let rsyslog: Rsyslog;

  beforeAll(async () => {
    rsyslog = await Rsyslog.start({ authMode: 'x509/name' });
  });

  afterAll(async () => {
    await rsyslog?.close();
  });

  it('is taken with the permitted client certificate; without one rsyslog takes nothing', async () => {
    const tls = { ca: rsyslog.pki.caPem, servername: 'localhost' };
    const withCert = new SyslogTransport({
      host: '127.0.0.1',
      port: rsyslog.port,
      tls: { ...tls, cert: rsyslog.pki.clientCertPem, key: rsyslog.pki.clientKeyPem },
    });
    const without = new SyslogTransport({ host: '127.0.0.1', port: rsyslog.port, tls });
    try {
      // rsyslog refuses the peer after the TLS handshake; whether the transport sees a reset or
      // a clean close is a race syslog cannot settle (docs/destinations-syslog-file.md).
      await without.deliver(batchOf('refused', 1, 2)).catch((err: unknown) => {
        expect(err).toBeInstanceOf(DeliveryError);
      });
      await withCert.deliver(batchOf('mtls', 1, 2));
      const got = await rsyslog.waitForReceived(2);
      expect(got.map((m) => m.sd[AUDITKIT_SD_ID].org)).toEqual(['mtls', 'mtls']);
      expect(seqsOf(got)).toEqual([1, 2]);
    } finally {
      await Promise.all([withCert.close(), without.close()]);
    }
  });
});
