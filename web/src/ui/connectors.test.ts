// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { ConnectorsPanel, shortClass } from './connectors';

const LIST = {
  connectors: [{ file: 'flink-sql-connector-kafka-5.0.0-2.2.jar', origin: 'bundled' as const, factories: ['org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory'] }],
  suggested: [
    { coordinates: 'org.apache.flink:flink-sql-orc:2.3.0', provides: ['orc'], description: 'ORC files.', installed: false },
    { coordinates: 'org.apache.flink:flink-sql-protobuf:2.3.0', provides: ['protobuf'], description: 'Protobuf.', installed: true },
  ],
  canAdd: true,
};

const flush = () => new Promise((r) => setTimeout(r, 0));

/** answer clicks OK in the open dialog once it shows, and returns its text. */
async function answer(): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const ok = document.querySelector<HTMLButtonElement>('[data-testid=dialog-ok]');
    if (ok) {
      const text = document.querySelector('.dialog')?.textContent ?? '';
      ok.click();
      return text;
    }
    await flush();
  }
  throw new Error('no dialog');
}

describe('ConnectorsPanel', () => {
  it('lists the jars and suggestions, and adds with force only after a second yes when jobs run', async () => {
    const addConnector = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(409, '1 Flink job is running: adding a connector restarts the cluster’s JVMs, which ends it', 'conflict'))
      .mockResolvedValueOnce({ file: 'flink-sql-orc-2.3.0.jar', origin: 'added', factories: ['org.apache.flink.orc.OrcFileFormatFactory'] });
    const api = { listConnectors: vi.fn(async () => LIST), addConnector } as unknown as Api;
    const p = new ConnectorsPanel({ api });
    document.body.replaceChildren(p.el);
    await p.refresh();
    expect(p.el.querySelectorAll('[data-testid=connector]')).toHaveLength(1);
    expect(p.el.textContent).toContain('KafkaDynamicTableFactory');
    // The installed suggestion has no Add button.
    expect(p.el.querySelectorAll('[data-testid=add-suggested]')).toHaveLength(1);

    p.el.querySelector<HTMLButtonElement>('[data-testid=add-suggested]')!.click();
    expect(await answer()).toContain('restart the Flink JVMs');
    expect(await answer()).toContain('1 Flink job is running');
    await vi.waitFor(() => expect(addConnector).toHaveBeenCalledTimes(2));
    expect(addConnector.mock.calls).toEqual([
      ['org.apache.flink:flink-sql-orc:2.3.0'],
      ['org.apache.flink:flink-sql-orc:2.3.0', true],
    ]);
    await vi.waitFor(() => expect(api.listConnectors).toHaveBeenCalledTimes(2));
  });

  it('offers no adding when Eddy does not run the cluster', async () => {
    const api = { listConnectors: vi.fn(async () => ({ ...LIST, canAdd: false })) } as unknown as Api;
    const p = new ConnectorsPanel({ api });
    await p.refresh();
    expect(p.el.querySelector('[data-testid=add-connector]')).toBeNull();
    expect(p.el.textContent).toContain('lib/');
  });

  it('shortens factory class names', () => {
    expect(shortClass('org.apache.flink.orc.OrcFileFormatFactory')).toBe('OrcFileFormatFactory');
    expect(shortClass('Plain')).toBe('Plain');
  });
});
