// [R1] [M4] [M5] [D3] The server misbehaved in this room: say what that means, in words, inside the room. Each
// sentence stays until the person dismisses it; the SDK's technical detail is one click away.
import type { RoomAlert } from '../state/integrity.ts';

interface Props {
  alerts: readonly RoomAlert[];
  onDismiss: (text: string) => void;
}

export function IntegrityBanner({ alerts, onDismiss }: Props) {
  if (alerts.length === 0) return null;
  return (
    <div role="alert" className="banner integrity" data-testid="integrity-alert">
      {alerts.map((alert) => (
        <div key={alert.text} className="integrity-item">
          <p>
            <strong>Warning:</strong> {alert.text}
          </p>
          <details>
            <summary>Technical detail</summary>
            <code>{alert.detail}</code>
          </details>
          <button type="button" onClick={() => onDismiss(alert.text)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
