// Creating a room asks the one question that cannot be changed later [R5]: may people invited afterwards read
// what was said before they joined? It is signed into the room's create event. "Yes" is the default, as in
// Slack; "only from when they joined" keeps earlier messages from anyone added later.
import { useId, useState } from 'react';
import type { HistoryVisibility } from '@parley/sdk';

interface Props {
  onSubmit: (name: string, history: HistoryVisibility) => Promise<void>;
}

const CHOICES: { value: HistoryVisibility; label: string }[] = [
  { value: 'shared', label: 'New members can read earlier messages' },
  { value: 'joined', label: 'Only from when they joined' },
];

export function CreateRoomForm({ onSubmit }: Props) {
  const id = useId();
  const [name, setName] = useState('');
  const [history, setHistory] = useState<HistoryVisibility>('shared');
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() === '' || busy) return;
        setBusy(true);
        void onSubmit(name.trim(), history)
          .then(() => {
            setName('');
            setHistory('shared');
          })
          .finally(() => setBusy(false));
      }}
    >
      <label htmlFor={id}>New room name</label>
      <div className="row">
        <input id={id} value={name} onChange={(e) => setName(e.target.value)} disabled={busy} />
        <button type="submit" disabled={busy}>
          Create room
        </button>
      </div>
      <fieldset className="history-choice" disabled={busy}>
        <legend>Earlier messages</legend>
        {CHOICES.map((c) => (
          <label key={c.value}>
            <input
              type="radio"
              name={`${id}-history`}
              value={c.value}
              checked={history === c.value}
              onChange={() => setHistory(c.value)}
            />
            {c.label}
          </label>
        ))}
      </fieldset>
    </form>
  );
}
