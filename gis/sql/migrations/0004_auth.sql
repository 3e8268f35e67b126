-- API tokens (issue: auth): bearer tokens with a role (viewer, editor, dispatcher, admin).
--
-- A token is 'om_' + 32 random bytes in url-safe base64 (gis/auth.py); only its SHA-256 (hex)
-- is stored, never the plaintext. A fast unsalted hash is right here: the input has 256 bits
-- of entropy, so there is no dictionary to attack and no brute force to slow down (slow
-- password hashes exist for low-entropy human secrets), and an exact-match index lookup on
-- the digest keeps authentication one indexed query per request.
--
-- last_used_at is refreshed at most once a minute: writing it on every request would turn
-- each tile request (a map pan asks for dozens) into a row update, with its WAL, dead tuples
-- and row-lock waits between concurrent requests of one token, while minute resolution is
-- all that "is this token still in use?" (before revoking it) needs.
CREATE TABLE onemap.api_token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100 AND name = btrim(name)),
    role         text NOT NULL CHECK (role IN ('viewer', 'editor', 'dispatcher', 'admin')),
    token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
-- Names identify active tokens (`onemap token revoke NAME`); a revoked token's name may be reused.
CREATE UNIQUE INDEX api_token_active_name_idx ON onemap.api_token (name) WHERE revoked_at IS NULL;
