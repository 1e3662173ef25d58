import {
  quorumHandover,
  quorumOverlaps,
  quorumStandbyNames,
  quorumTransitions,
  quorumVerdict,
  type QuorumFacts,
  type QuorumKey,
  type QuorumStandbyNames,
  type RaceParticipant,
} from '../../libs/domain/src/election/index.ts';

/** A small deterministic generator, so that a failing state can be found again from its seed. */
function generator(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

const POOL = ['pg2', 'pg3', 'pg4', 'pg5'];

function subset(next: (below: number) => number): string[] {
  return POOL.filter(() => next(2) === 1);
}

function generatedFacts(seed: number): QuorumFacts {
  const next = generator(seed);
  const voters = subset(next);
  const names = subset(next);
  const key: QuorumKey | undefined =
    next(6) === 0
      ? undefined
      : {
          leader: next(5) === 0 ? 'pg3' : 'pg1',
          quorum: next(Math.max(1, voters.length)),
          voters,
        };
  return {
    me: 'pg1',
    key,
    standbyNames: { numsync: next(names.length + 1), names },
    confirmed: next(names.length + 1),
    active: subset(next),
    wanted: 1 + next(3),
  };
}

interface Applied {
  key: QuorumKey;
  names: QuorumStandbyNames;
}

/** Applies the transitions one by one, checking the overlap rule after every prefix. */
function applyChecked(facts: QuorumFacts, seed: number): Applied {
  let key = facts.key ?? { leader: facts.me, quorum: 0, voters: [] };
  let names = facts.standbyNames;
  const transitions = quorumTransitions(facts);
  let namesChanged = false;
  transitions.forEach((transition, index) => {
    if (transition.kind === 'sync_key') {
      const { leader, quorum, voters } = transition;
      // Once PostgreSQL waits for new names, commits acknowledged before stay covered only by the
      // voters in force: new voters wait for a later cycle, when the new names have confirmed.
      if (namesChanged && voters.some((name) => !key.voters.includes(name))) {
        throw new Error(`seed ${seed}, step ${index}: voters named before the names confirmed`);
      }
      key = { leader, quorum, voters };
    } else {
      names = { numsync: transition.numsync, names: transition.names };
      namesChanged = true;
    }
    if (!quorumOverlaps(key, names)) {
      throw new Error(`seed ${seed}, step ${index}: ${JSON.stringify({ key, names })}`);
    }
  });
  return { key, names };
}

describe('quorum commit transitions', () => {
  it('keep the overlap rule after every prefix, over generated states', () => {
    for (let seed = 1; seed <= 3000; seed++) applyChecked(generatedFacts(seed), seed);
  });

  it('reach voters = names = active within three cycles and then stay', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      let facts = generatedFacts(seed);
      for (let cycle = 0; cycle < 3; cycle++) {
        const applied = applyChecked(facts, seed);
        facts = {
          ...facts,
          key: applied.key,
          standbyNames: applied.names,
          confirmed: applied.names.names.length,
        };
      }
      const active = [...facts.active].sort();
      const numsync = Math.min(facts.wanted, active.length);
      expect({ seed, key: facts.key, names: facts.standbyNames }).toEqual({
        seed,
        key: { leader: 'pg1', quorum: active.length - numsync, voters: active },
        names: { numsync, names: active },
      });
      expect({ seed, more: quorumTransitions(facts) }).toEqual({ seed, more: [] });
    }
  });

  it('widen the voters before a standby joins, and narrow them once it confirmed', () => {
    const steady: QuorumFacts = {
      me: 'pg1',
      key: { leader: 'pg1', quorum: 0, voters: ['pg2'] },
      standbyNames: { numsync: 1, names: ['pg2'] },
      confirmed: 1,
      active: ['pg2', 'pg3'],
      wanted: 1,
    };
    expect(quorumTransitions(steady)).toEqual([
      { kind: 'sync_key', leader: 'pg1', quorum: 1, voters: ['pg2', 'pg3'] },
      { kind: 'standby_names', numsync: 1, names: ['pg2', 'pg3'] },
    ]);
  });

  it('drop the voters of a former leader before naming standbys again', () => {
    const promoted: QuorumFacts = {
      me: 'pg2',
      key: { leader: 'pg1', quorum: 1, voters: ['pg2', 'pg3'] },
      standbyNames: { numsync: 0, names: [] },
      confirmed: 0,
      active: ['pg3'],
      wanted: 1,
    };
    expect(quorumTransitions(promoted)).toEqual([
      { kind: 'sync_key', leader: 'pg2', quorum: 0, voters: [] },
      { kind: 'standby_names', numsync: 1, names: ['pg3'] },
    ]);
    expect(
      quorumTransitions({
        ...promoted,
        key: { leader: 'pg2', quorum: 0, voters: [] },
        standbyNames: { numsync: 1, names: ['pg3'] },
        confirmed: 1,
      }),
    ).toEqual([{ kind: 'sync_key', leader: 'pg2', quorum: 0, voters: ['pg3'] }]);
  });

  it('write ANY k (...) for PostgreSQL', () => {
    expect(quorumStandbyNames({ numsync: 1, names: ['pg3', 'pg2'] }, undefined)).toBe(
      'ANY 1 ("pg2","pg3")',
    );
    expect(quorumStandbyNames({ numsync: 0, names: [] }, undefined)).toBe('');
    expect(quorumStandbyNames({ numsync: 0, names: [] }, 'placeholder')).toBe(
      'ANY 1 ("placeholder")',
    );
  });
});

/** A valid key of a former leader pg3, and pg1 winning the race with the given standbys active. */
function generatedHandover(seed: number): { key: QuorumKey; facts: Omit<QuorumFacts, 'key'> } {
  const next = generator(seed);
  const voters = ['pg1', ...subset(next)].filter((name) => name !== 'pg3');
  const key: QuorumKey = { leader: 'pg3', quorum: next(voters.length), voters };
  const active = subset(next).filter((name) => name !== 'pg1');
  return {
    key,
    facts: {
      me: 'pg1',
      standbyNames: { numsync: 0, names: [] },
      confirmed: 0,
      active,
      wanted: 1 + next(3),
    },
  };
}

describe('quorum handover before promotion', () => {
  it('puts the winner in the leader place and the former leader among the voters', () => {
    expect(quorumHandover({ leader: 'pg1', quorum: 1, voters: ['pg2', 'pg3'] }, 'pg2')).toEqual({
      key: { leader: 'pg2', quorum: 1, voters: ['pg1', 'pg3'] },
      standbyNames: { numsync: 1, names: ['pg1', 'pg3'] },
    });
    expect(quorumHandover({ leader: 'pg1', quorum: 1, voters: ['pg2', 'pg3'] }, 'pg4')).toEqual({
      key: { leader: 'pg4', quorum: 1, voters: ['pg1', 'pg2', 'pg3'] },
      standbyNames: { numsync: 2, names: ['pg1', 'pg2', 'pg3'] },
    });
  });

  it('leaves a key of its own or without voters to the leader cycles', () => {
    expect(quorumHandover({ leader: 'pg1', quorum: 0, voters: ['pg2'] }, 'pg1')).toBeUndefined();
    expect(quorumHandover({ leader: 'pg1', quorum: 0, voters: [] }, 'pg2')).toBeUndefined();
    expect(quorumHandover(undefined, 'pg2')).toBeUndefined();
  });

  it('keeps voters and the overlap rule from the promotion on, over generated states', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const { key, facts } = generatedHandover(seed);
      const handover = quorumHandover(key, 'pg1');
      if (!handover) throw new Error(`seed ${seed}: no handover from ${JSON.stringify(key)}`);
      expect(quorumOverlaps(handover.key, handover.standbyNames)).toBe(true);
      expect(handover.key.voters).toContain('pg3');
      expect(handover.key.voters).not.toContain('pg1');
      let state: QuorumFacts = { ...facts, key: handover.key, standbyNames: handover.standbyNames };
      for (let cycle = 0; cycle < 3; cycle++) {
        const applied = applyChecked(state, seed);
        if (cycle === 0 && state.active.length > 0 && applied.key.voters.length === 0) {
          throw new Error(`seed ${seed}: the first cycle after the promotion dropped every voter`);
        }
        state = {
          ...state,
          key: applied.key,
          standbyNames: applied.names,
          confirmed: applied.names.names.length,
        };
      }
      const active = [...facts.active].sort();
      expect({ seed, voters: state.key?.voters }).toEqual({ seed, voters: active });
    }
  });
});

function voter(name: string, walPosition: number, extra: Partial<RaceParticipant> = {}) {
  return {
    name,
    walPosition,
    timeline: 2,
    runningPrimary: false,
    noFailover: false,
    failoverPriority: 1,
    inMaintenance: false,
    ...extra,
  };
}

describe('quorum commit vote rule', () => {
  const key: QuorumKey = { leader: 'pg1', quorum: 1, voters: ['pg2', 'pg3'] };

  it('lets a voter win with quorum votes from voters not ahead', () => {
    expect(quorumVerdict(voter('pg2', 100), [voter('pg3', 90)], key)).toEqual({ race: true });
  });

  it('refuses without enough votes, or when a promotable peer is ahead', () => {
    expect(quorumVerdict(voter('pg2', 100), [], key)).toMatchObject({
      race: false,
      reason: expect.stringMatching(/0 of the voters .* 1 needed/),
    });
    expect(quorumVerdict(voter('pg2', 100), [voter('pg3', 120)], key)).toMatchObject({
      race: false,
      reason: expect.stringMatching(/pg3 has a higher wal position/),
    });
  });

  it('asks one vote more from a member that is not a voter', () => {
    expect(quorumVerdict(voter('pg4', 100), [voter('pg3', 90)], key)).toMatchObject({
      race: false,
    });
    expect(quorumVerdict(voter('pg4', 100), [voter('pg2', 90), voter('pg3', 90)], key)).toEqual({
      race: true,
    });
  });

  it('counts a nofailover voter, and lets the former leader back without votes', () => {
    expect(quorumVerdict(voter('pg2', 100), [voter('pg3', 90, { noFailover: true })], key)).toEqual(
      { race: true },
    );
    expect(quorumVerdict(voter('pg1', 100), [], key)).toEqual({ race: true });
    expect(quorumVerdict(voter('pg2', 100), [voter('pg1', 150)], key)).toMatchObject({
      race: false,
    });
  });
});
