package dev.veil.gateway.contacts;

import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import dev.veil.gateway.db.Database;

/** The one place the commands and the server get their {@link ContactProtector} from. */
public final class ContactProtectors {
    private ContactProtectors() {
    }

    /**
     * The protector for this configuration. For now the {@link InterimContactVault}; the pseudonymiser-based vault of
     * issue 5 replaces it here, and nowhere else.
     */
    public static ContactProtector open(VeilConfiguration config, Database database) {
        return new InterimContactVault(database, KeyService.masterKey(config.dataPath(), System.getenv()));
    }
}
