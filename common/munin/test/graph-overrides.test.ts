import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyGraphOverrides, graphOverrides, overridesByPlugin } from '../index.js';

/** munin.conf host-section graph overrides: which keys are overrides, and how they are laid over a config. */
const keys = (entries: Array<[string, string]>) => entries.map(([key, value]): [string, { value: string }] => [key, { value }]);

describe('munin.conf graph overrides', () => {
  it('reads graph and field attributes, multigraph names with dots, and leaves host settings alone', () => {
    const read = graphOverrides(
      keys([
        ['address', '10.0.0.1'],
        ['use_node_name', 'yes'],
        ['load.graph_title', 'Load'],
        ['load.load.colour', 'ff0000'],
        ['diskstats_latency.sda.graph_vlabel', 'ms'],
        ['diskstats_latency.sda.avgrdwait.draw', 'AREA'],
        ['if_eth0.rx-bytes.label', 'received'],
        ['load.load.nosuchattribute', 'x'],
        ['bad/plugin.graph_title', 'x'],
        ['contact.ops.command', 'mail'],
      ]),
    );
    assert.deepEqual(read, [
      { plugin: 'load', attribute: 'graph_title', value: 'Load' },
      { plugin: 'load', field: 'load', attribute: 'colour', value: 'ff0000' },
      { plugin: 'diskstats_latency.sda', attribute: 'graph_vlabel', value: 'ms' },
      { plugin: 'diskstats_latency.sda', field: 'avgrdwait', attribute: 'draw', value: 'AREA' },
      { plugin: 'if_eth0', field: 'rx_bytes', attribute: 'label', value: 'received' },
    ]);
  });

  it("lays a plugin's overrides over its config; a field the config lacks is not added", () => {
    const section = {
      graph: new Map([['graph_title', 'Load average']]),
      fields: new Map([
        [
          'load',
          new Map([
            ['label', 'load'],
            ['colour', '00cc00'],
          ]),
        ],
      ]),
    };
    const byPlugin = overridesByPlugin(
      graphOverrides(
        keys([
          ['load.graph_title', 'Load'],
          ['load.load.colour', 'ff0000'],
          ['load.ghost.label', 'ghost'],
          ['cpu.graph_title', 'CPU'],
        ]),
      ),
    );
    applyGraphOverrides(section, byPlugin.get('load'));
    assert.equal(section.graph.get('graph_title'), 'Load');
    assert.deepEqual(
      [...(section.fields.get('load') ?? [])],
      [
        ['label', 'load'],
        ['colour', 'ff0000'],
      ],
    );
    assert.equal(section.fields.has('ghost'), false);
  });
});
