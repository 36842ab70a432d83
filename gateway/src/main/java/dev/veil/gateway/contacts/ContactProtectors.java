package dev.veil.gateway.contacts;

import dev.veil.config.ContactsPolicy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import dev.veil.gateway.db.ContactVaultDao;
import dev.veil.gateway.db.Database;
import java.time.Clock;
import java.util.function.Supplier;

/** The one place the commands and the server get their {@link ContactProtector} from: the pseudonymising vault. */
public final class ContactProtectors {
    private ContactProtectors() {
    }

    /**
     * For a command: the policy file's {@code contacts} section as it is now, the pseudonym keys from the key store.
     *
     * @throws IllegalArgumentException when the policy file has errors (nothing is sealed under a policy that is not
     *                                  the admin's)
     */
    public static ContactProtector open(VeilConfiguration config, Database database) throws KeyException {
        try {
            // a fresh data directory: the same example policy the server writes at its first start
            new dev.veil.gateway.core.PolicyHolder(config.policyPath()).writeExampleIfMissing();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot write the example policy to " + config.policyPath() + ": "
                    + e.getMessage(), e);
        }
        PolicyLoad load = PolicyLoader.load(config.policyPath());
        ContactsPolicy contacts = load.policy().map(p -> p.contacts()).orElseThrow(() -> new IllegalArgumentException(
                config.policyPath() + " has errors — run veil policy check; no contact is sealed meanwhile"));
        Pseudonymiser pseudonymiser = Pseudonymiser.of(KeyService.openPseudonymKeys(config.dataPath(), System.getenv()));
        return new VaultContactProtector(() -> pseudonymiser, () -> contacts, new ContactVaultDao(database), Clock.systemUTC());
    }

    /** For the server: the policy in force and the key service's pseudonymiser, both followed as they change. */
    public static ContactProtector open(Supplier<ContactsPolicy> contacts, Supplier<Pseudonymiser> pseudonymiser,
                                        Database database, Clock clock) {
        return new VaultContactProtector(pseudonymiser, contacts, new ContactVaultDao(database), clock);
    }
}
