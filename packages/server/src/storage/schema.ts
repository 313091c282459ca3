// Table shapes as Kysely sees them. Bytes are stored as b64u text and JSON as text so that the same queries
// run on SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface Database {
  users: {
    id: string;
    salt: string;
    kdf: string;
    auth_hash: string;
    keys: string;
    created_at: number;
    failed_logins: number;
    failed_window_start: number;
    /** [K9] The change feed position of the user's vault: every vault write takes the next numbers. */
    vault_seq: Generated<number>;
  };
  vault_records: {
    user_id: string;
    record_id: string;
    version: number;
    iv: string;
    ciphertext: string;
    seq: number;
  };
  sessions: {
    id: string;
    token_hash: string;
    user_id: string;
    csrf_token: string;
    created_at: number;
    last_seen_at: number;
  };
  rooms: {
    id: string;
    name: string;
    is_public: number;
    created_at: number;
    head_seq: number;
    head_chain: string;
    /** Seq of the last membership change: versions the per-process member cache [D6]. */
    member_seq: Generated<number>;
  };
  members: {
    room: string;
    user_id: string;
    role: string | null;
    left_seq: number | null;
  };
  events: {
    room: string;
    seq: number;
    ts: number;
    kind: string;
    sender: string;
    client_msg_id: string | null;
    event_id: string | null;
    content: string;
    hash: string;
    chain: string;
  };
  heads: { room: string; seq: number; ts: number; chain: string; signature: string };
  shares: {
    id: Generated<number>;
    room: string;
    sender: string;
    recipient: string;
    session_id: string;
    ciphertext: string;
    signature: string;
    owner: string | null;
    created_at: number;
  };
  key_requests: {
    id: Generated<number>;
    sender: string;
    room: string;
    requester: string;
    session_id: string;
    created_at: number;
  };
  settings: { name: string; value: string };
}
