package dev.veil.gateway.contacts;

import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.ContactVaultDao;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;

/**
 * After a pseudonym key rotation ({@code PseudonymKeys.rotate()}), re-encrypts every vault row still under an older
 * key version with the current one and gives it the vault id the current key makes (the old id stays findable as
 * {@code previous_id} until the sync has rewritten the contact in Exchange). Each row is its own transaction, and the
 * work list is "rows under an older version", so the job is resumable: stopped at any point (crash, kill,
 * exception), it is simply run again and carries on with what is left. Safe to run while contacts are being sealed.
 */
public final class VaultResealJob {
    private static final int BATCH = 200;

    private final Pseudonymiser pseudonymiser;
    private final ContactVaultDao vault;
    private final Clock clock;

    /** Told after every row; {@code total} is what was left when this run started. */
    public interface Progress {
        void update(int done, int total);
    }

    /**
     * @param resealed rows re-encrypted under the current version by this run
     * @param merged   old rows dropped because the card had already been sealed again under the new key
     * @param total    rows under an older version when this run started
     */
    public record Report(int resealed, int merged, int total, int keyVersion) {
    }

    public VaultResealJob(Pseudonymiser pseudonymiser, ContactVaultDao vault, Clock clock) {
        this.pseudonymiser = pseudonymiser;
        this.vault = vault;
        this.clock = clock;
    }

    /** Rows still to do (for a progress bar before starting). */
    public int remaining() throws SQLException {
        return vault.countOlderThan(pseudonymiser.currentVersion());
    }

    public Report run(Progress progress) throws ContactException, SQLException {
        int current = pseudonymiser.currentVersion();
        int total = vault.countOlderThan(current);
        int resealed = 0;
        int merged = 0;
        int done = 0;
        List<ContactVaultDao.Row> batch;
        while (!(batch = vault.olderThan(current, BATCH)).isEmpty()) {
            for (ContactVaultDao.Row row : batch) {
                VaultContactProtector.RowContent content = VaultContactProtector.RowContent.open(pseudonymiser, row);
                String newId = ContactSealer.vaultId(pseudonymiser, row.mailbox(), content.vaulted(row).card());
                // the same content under the new id: the sealed card stays what Exchange holds until it is re-sealed
                String ciphertext = pseudonymiser.encrypt(VaultContactProtector.VAULT_KIND, content.envelope(row.mailbox(), newId));
                boolean wasMerge = !newId.equals(row.vaultId()) && vault.find(row.mailbox(), newId)
                        .filter(r -> r.vaultId().equals(newId)).isPresent();
                if (vault.reseal(row, newId, current, ciphertext, clock.instant())) {
                    if (wasMerge) {
                        merged++;
                    } else {
                        resealed++;
                    }
                }
                done++;
                progress.update(done, Math.max(total, done));
            }
        }
        return new Report(resealed, merged, total, current);
    }
}
