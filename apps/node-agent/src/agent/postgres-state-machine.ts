import type { MemberRole, PostgresStateName } from '../../../../libs/domain/src/index.ts';

export interface StateChange {
  readonly fromState: PostgresStateName;
  readonly toState: PostgresStateName;
  readonly fromRole: MemberRole;
  readonly toRole: MemberRole;
}

type StateListener = (change: StateChange) => void;

/**
 * The member's PostgreSQL state (Patroni's 0..14) and role, changed by every lifecycle operation and
 * by the postmaster's exit. Listeners hear each change that alters the state or the role.
 */
export class PostgresStateMachine {
  private currentState: PostgresStateName = 'stopped';
  private currentRole: MemberRole = 'uninitialized';
  private readonly listeners = new Set<StateListener>();

  get state(): PostgresStateName {
    return this.currentState;
  }

  get role(): MemberRole {
    return this.currentRole;
  }

  set(state: PostgresStateName, role: MemberRole = this.currentRole): void {
    const change: StateChange = {
      fromState: this.currentState,
      toState: state,
      fromRole: this.currentRole,
      toRole: role,
    };
    if (change.fromState === state && change.fromRole === role) return;
    this.currentState = state;
    this.currentRole = role;
    for (const listener of this.listeners) listener(change);
  }

  setRole(role: MemberRole): void {
    this.set(this.currentState, role);
  }

  onChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
