// Creating a room asks the one question that cannot be changed later [R5]: may people invited afterwards read
// what was said before they joined? It is signed into the room's create event. "Yes" is the default, as in
// Slack; "only from when they joined" keeps earlier messages from anyone added later.
import { useId, useState } from 'react';
import type { HistoryVisibility } from '@parley/sdk';
import { InlineForm } from './InlineForm.tsx';

interface Props {
  onSubmit: (name: string, history: HistoryVisibility) => Promise<void>;
}

const CHOICES: { value: HistoryVisibility; label: string }[] = [
  { value: 'shared', label: 'New members can read earlier messages' },
  { value: 'joined', label: 'Only from when they joined' },
];

export function CreateRoomForm({ onSubmit }: Props) {
  const group = useId();
  const [history, setHistory] = useState<HistoryVisibility>('shared');
  return (
    <InlineForm
      label="New room name"
      button="Create room"
      onSubmit={(name) => onSubmit(name, history).then(() => setHistory('shared'))}
    >
      <fieldset className="history-choice">
        <legend>Earlier messages</legend>
        {CHOICES.map((c) => (
          <label key={c.value}>
            <input
              type="radio"
              name={group}
              value={c.value}
              checked={history === c.value}
              onChange={() => setHistory(c.value)}
            />
            {c.label}
          </label>
        ))}
      </fieldset>
    </InlineForm>
  );
}
