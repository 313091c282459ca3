// [K6] A contact's keys changed: it may be a new device, or someone in the middle. Loud, and it stays until the
// person looks at the new safety number.
export function KeyChangeBanner({
  users,
  onReview,
}: {
  users: readonly string[];
  onReview: (user: string) => void;
}) {
  if (users.length === 0) return null;
  return (
    <div role="alert" className="banner keychange">
      {users.map((user) => (
        <p key={user}>
          <strong>Warning: {user}&apos;s encryption keys changed.</strong> Someone may be impersonating them.
          Compare safety numbers before you trust new messages from {user}.{' '}
          <button type="button" onClick={() => onReview(user)}>
            Review {user}&apos;s safety number
          </button>
        </p>
      ))}
    </div>
  );
}
