import type { Pool } from 'pg';

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
}

export type CreateUserResult = { ok: true; user: User } | { ok: false; reason: 'email_taken' };

export interface UserStore {
  create(email: string, passwordHash: string): Promise<CreateUserResult>;
  findByEmail(email: string): Promise<User | null>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
}

const UNIQUE_VIOLATION = '23505';

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: Date;
}

const toUser = (row: UserRow): User => ({ id: row.id, email: row.email, passwordHash: row.password_hash, createdAt: row.created_at });

/** Trimmed and lower-cased: one account per mailbox however it is typed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function createUserStore(pool: Pool): UserStore {
  return {
    async create(email, passwordHash) {
      try {
        const { rows } = await pool.query<UserRow>(
          'INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id, email, password_hash, created_at',
          [email, passwordHash],
        );
        return { ok: true, user: toUser(rows[0]) };
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, reason: 'email_taken' };
        throw error;
      }
    },
    async findByEmail(email) {
      const { rows } = await pool.query<UserRow>('SELECT id, email, password_hash, created_at FROM users WHERE email = $1', [email]);
      return rows.length > 0 ? toUser(rows[0]) : null;
    },
    async updatePasswordHash(id, passwordHash) {
      await pool.query('UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1', [id, passwordHash]);
    },
  };
}
