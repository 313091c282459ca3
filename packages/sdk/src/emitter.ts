// A tiny typed event emitter: a listener that throws must not break the SDK's own processing.
import type { ClientEvents } from './types.ts';

export type Listener<K extends keyof ClientEvents> = (value: ClientEvents[K]) => void;
export type Emit = <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;

export class Emitter {
  private readonly listeners = new Map<keyof ClientEvents, Set<(value: never) => void>>();

  on<K extends keyof ClientEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  readonly emit: Emit = (event, value) => {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<typeof event>)(value);
      } catch {
        // A broken listener is the app's bug; the SDK keeps delivering to the others.
      }
    }
  };
}
