// Sign up and log in on one form. Keys are generated (sign up) or unwrapped (log in) right here in the browser;
// both take a second or two on purpose (PBKDF2 at 600 000 iterations, RSA-3072), so every step is shown.
import { useState } from 'react';
import type { FormEvent } from 'react';
import type { ParleyClient } from '@parley/sdk';
import { describeError } from '../errors.ts';
import { passwordHint, passwordProblem, usernameProblem } from './password-rules.ts';

interface Props {
  client: ParleyClient;
  notice?: string | undefined;
  onSignedIn: (user: string) => void;
}

type Mode = 'signup' | 'login';

export function AuthScreen({ client, notice, onSignedIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState<Mode | null>(null);
  const [step, setStep] = useState('');
  const [error, setError] = useState<string | null>(notice ?? null);
  const name = username.trim().toLowerCase();

  async function submit(mode: Mode) {
    const problem = usernameProblem(name) ?? (mode === 'signup' ? passwordProblem(password, name) : null);
    if (problem) return setError(problem);
    if (password === '') return setError('Enter your password.');
    setError(null);
    setBusy(mode);
    setStep(mode === 'signup' ? 'Generating your keys…' : 'Deriving your key from the password…');
    try {
      const run = mode === 'signup' ? client.register.bind(client) : client.login.bind(client);
      await run(name, password, (s) => setStep(`${s}…`));
      onSignedIn(client.user ?? name);
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter;
    void submit(submitter?.dataset.mode === 'signup' ? 'signup' : 'login');
  }

  const hint = password ? passwordHint(password) : null;
  return (
    <main className="center">
      <form className="card auth" onSubmit={onSubmit} aria-busy={busy !== null}>
        <h1>Parley</h1>
        <p className="muted">End-to-end encrypted chat. Your password and keys never leave this browser.</p>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          disabled={busy !== null}
          required
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          disabled={busy !== null}
          aria-describedby="password-rules"
          required
        />
        <p id="password-rules" className="muted small">
          {hint ?? 'New accounts: at least 8 characters, not a common password. Long passphrases welcome.'}
        </p>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {busy && (
          <div role="status" className="progress">
            <progress aria-label="Working" />
            <span>{step}</span>
          </div>
        )}
        <div className="row">
          <button type="submit" data-mode="login" disabled={busy !== null}>
            Log in
          </button>
          <button type="submit" data-mode="signup" className="secondary" disabled={busy !== null}>
            Sign up
          </button>
        </div>
      </form>
    </main>
  );
}
