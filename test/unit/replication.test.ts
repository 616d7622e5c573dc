/** The RM's membership decisions (SPEC §6 Deletion): when the last replica that held the state goes, it says so. */
import { expect } from 'chai';
import { initialMembership, onAdd, onDelete, onServing, type Decision, type Membership } from '../../src/core/replication.js';

/** Each decision's next membership, its warnings gathered. */
function run(steps: ((m: Membership) => Decision)[]): { m: Membership; warnings: string[] } {
  let m = initialMembership('passive');
  const warnings: string[] = [];
  for (const step of steps) {
    const d = step(m);
    m = d.next;
    warnings.push(...d.warnings);
  }
  return { m, warnings };
}

describe('replication decisions: the state lost', () => {
  it('warns when the serving primary goes and only a recovering server is left, which then starts from its own state', () => {
    const { m, warnings } = run([(m) => onAdd(m, 'S1'), (m) => onServing(m, 'S1', 1), (m) => onAdd(m, 'S2'), (m) => onDelete(m, 'S1')]);
    expect(warnings).to.deep.equal(['no replica serves any more: the state is lost; S2 starts from its own']);
    expect([m.primary, m.epoch]).to.deep.equal(['S2', 2]);
  });

  it('warns when the last replica goes with nobody left', () => {
    const { m, warnings } = run([(m) => onAdd(m, 'S1'), (m) => onServing(m, 'S1', 1), (m) => onDelete(m, 'S1')]);
    expect(warnings).to.deep.equal(['no replica serves any more: the state is lost; the next server to join starts from its own']);
    expect(m.primary).to.equal(null);
  });

  it('says nothing when a serving backup takes over, or when a primary that never served goes', () => {
    const served = run([(m) => onAdd(m, 'S1'), (m) => onServing(m, 'S1', 1), (m) => onAdd(m, 'S2'), (m) => onServing(m, 'S2', 1), (m) => onDelete(m, 'S1')]);
    expect(served.warnings).to.deep.equal([]);
    expect(served.m.primary).to.equal('S2');
    expect(run([(m) => onAdd(m, 'S1'), (m) => onDelete(m, 'S1')]).warnings).to.deep.equal([]);
  });
});
