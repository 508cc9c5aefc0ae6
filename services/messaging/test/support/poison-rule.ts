import type pg from 'pg';

/** The database refuses to persist any message whose content is 'poison', until liftPoisonRule(). */
export async function installPoisonRule(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'persisted' AND NEW.content = 'poison' THEN RAISE EXCEPTION 'poison message refused by the test trigger'; END IF;
  RETURN NEW;
END $$`);
  await pool.query('CREATE TRIGGER refuse_poison BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
}

/** Poison messages are persisted again (a replay of their dead letters can succeed). */
export async function liftPoisonRule(pool: pg.Pool): Promise<void> {
  await pool.query('DROP TRIGGER refuse_poison ON messages');
}
