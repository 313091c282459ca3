// [K6] The safety number of this user and a contact: read it aloud or compare it in person, then mark verified.
// After a key change it shows the old and the new number, and "Mark as verified" pins exactly the keys whose
// number is on the screen (the new ones), never keys fetched again at click time.
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

/** The number "Mark as verified" pins: the one on screen for the keys not yet verified, if any. */
function verifiable(info: ContactInfo): string | null {
  if (info.keyChanged) return info.newSafetyNumber ?? null;
  return info.verified ? null : info.safetyNumber;
}

function SafetyNumber({ value, testId }: { value: string | null; testId: string }) {
  return (
    <p className="safety-number" data-testid={testId}>
      {value ? groups(value).map((g, i) => <span key={i}>{g}</span>) : 'Not available'}
    </p>
  );
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

  async function markVerified(shown: string) {
    try {
      setInfo(await client.verify(user, shown));
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
          {info.keyChanged && <h3>Old safety number</h3>}
          <SafetyNumber value={info.safetyNumber} testId="safety-number" />
          <p className="small muted">
            Their key fingerprint: <code>{info.fingerprint}</code>
          </p>
          {info.keyChanged && (
            <>
              <h3>New safety number</h3>
              <SafetyNumber value={info.newSafetyNumber ?? null} testId="new-safety-number" />
              <p className="small muted">
                Their new key fingerprint: <code>{info.newFingerprint}</code>
              </p>
            </>
          )}
          <p role="status">{info.verified ? `${user} is verified.` : `${user} is not verified yet.`}</p>
        </>
      )}
      <div className="row">
        {info && verifiable(info) && (
          <button type="button" onClick={() => void markVerified(verifiable(info)!)}>
            {info.keyChanged ? 'Mark new keys as verified' : 'Mark as verified'}
          </button>
        )}
        <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}
