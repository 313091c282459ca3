// One labelled field and one button: create a room, message someone, invite a member. `children` (more fields,
// such as the create form's question) go below the row.
import { useId, useState, type ReactNode } from 'react';

interface Props {
  label: string;
  button: string;
  onSubmit: (value: string) => Promise<void>;
  children?: ReactNode;
}

export function InlineForm({ label, button, onSubmit, children }: Props) {
  const id = useId();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() === '' || busy) return;
        setBusy(true);
        void onSubmit(value.trim())
          .then(() => setValue(''))
          .finally(() => setBusy(false));
      }}
    >
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input id={id} value={value} onChange={(e) => setValue(e.target.value)} disabled={busy} />
        <button type="submit" disabled={busy}>
          {button}
        </button>
      </div>
      {children}
    </form>
  );
}
