-- Payments and their refunds. Amounts are integer minor units.
-- PCI DSS: no column holds a card number, CVC or track data; the provider's
-- payment method token lives encrypted in vault_tokens.
CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    description     TEXT NOT NULL,
    method_ref      TEXT NOT NULL,
    provider_ref    TEXT NOT NULL,
    status          TEXT NOT NULL,
    refunded_amount INTEGER NOT NULL CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    failure_reason  TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE refunds (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

-- Append-only audit trail (PCI DSS Req. 10). The triggers make UPDATE and
-- DELETE fail, whatever the code does.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    outcome     TEXT NOT NULL
);
CREATE INDEX audit_events_payment ON audit_events (payment_id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Transactional outbox.
CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    aggregate_id  TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    published_at  TIMESTAMP
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

-- Provider webhook events already accepted (deduplication).
CREATE TABLE processed_webhooks (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Idempotency keys, unique per API client, pruned after 24 hours.
CREATE TABLE idempotency_keys (
    client_id     TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER,
    content_type  TEXT NOT NULL DEFAULT '',
    response_body BLOB,
    locked_at     TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Vault: encrypted sensitive values behind random tokens.
CREATE TABLE vault_tokens (
    token       TEXT PRIMARY KEY,
    lookup_hash TEXT NOT NULL UNIQUE,
    ciphertext  TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
