// [K6] The safety number of this user and a contact: read it aloud or compare it in person, then mark verified.
import { useEffect, useRef, useState } from 'react';
import type { ContactInfo, ParleyClient } from '@parley/sdk';

interface Props {
  client: ParleyClient;
  user: string;
  onClose: () => void;
  onVerified: () => void;
  onError: (e: unknown) => void;
}

function groups(safetyNumber: string): string[] {
  return safetyNumber.replace(/\s+/g, '').match(/.{1,5}/g) ?? [];
}

export function SafetyNumberDialog({ client, user, onClose, onVerified, onError }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [info, setInfo] = useState<ContactInfo | null>(null);

  useEffect(() => {
    dialog.current?.showModal();
    let live = true;
    client.contact(user).then((c) => live && setInfo(c), onError);
    return () => {
      live = false;
    };
  }, [client, user, onError]);

  async function markVerified() {
    try {
      await client.verify(user);
      setInfo(await client.contact(user));
      onVerified();
    } catch (e) {
      onError(e);
    }
  }

  return (
    <dialog ref={dialog} className="card safety" aria-label={`Safety number with ${user}`} onClose={onClose}>
      <h2>Safety number with {user}</h2>
      {!info && <p role="status">Loading keys…</p>}
      {info?.keyChanged && (
        <p role="alert" className="error">
          {user}&apos;s keys are not the ones you saw before. Compare the number below before you verify again.
        </p>
      )}
      {info && (
        <>
          <p className="muted">
            Compare these digits with {user} in person or on a call. If they match, no one is in between.
          </p>
          <p className="safety-number" data-testid="safety-number">
            {info.safetyNumber
              ? groups(info.safetyNumber).map((g, i) => <span key={i}>{g}</span>)
              : 'Not available'}
          </p>
          <p className="small muted">
            Their key fingerprint: <code>{info.fingerprint}</code>
          </p>
          <p role="status">{info.verified ? `${user} is verified.` : `${user} is not verified yet.`}</p>
        </>
      )}
      <div className="row">
        {info && (!info.verified || info.keyChanged) && (
          <button type="button" onClick={() => void markVerified()}>
            Mark as verified
          </button>
        )}
        <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}
