package dev.veil.gateway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.crypto.ArcSigningKey;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.MasterKey;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.PseudonymKeys;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code veil keys rotate-master}: every wrapped private key goes under a new master key, with no moment in which
 * any key cannot be opened (see {@link MasterKey}): the next key is written first, every store is re-wrapped (a
 * second pass catches keys a running server created meanwhile), and only then does the next key replace the old
 * one. Interrupted at any point, running it again finishes the job.
 */
final class MasterKeyRotationCommand {
    private MasterKeyRotationCommand() {
    }

    static int run(VeilConfiguration config, boolean json, ObjectMapper mapper) throws Exception {
        Path data = config.dataPath();
        Map<String, String> env = System.getenv();
        MasterKey master = KeyService.masterKey(data, env);
        boolean fromFile = master.beginRotation();
        if (!fromFile && !master.rotating()) {
            throw new KeyException("the master key comes from " + MasterKey.ENV_VARIABLE + ", which Veil cannot change:"
                    + " put the new key (openssl rand -base64 32) in " + MasterKey.ENV_VARIABLE + " and the old one in "
                    + MasterKey.PREVIOUS_ENV_VARIABLE + " for the server and for this command, run it again, then remove "
                    + MasterKey.PREVIOUS_ENV_VARIABLE);
        }
        Path keyDir = KeyService.keyDirectory(data);
        VeilKeys smime = VeilKeys.open(keyDir, master);
        OpenPgpKeys openpgp = OpenPgpKeys.open(keyDir, master);
        PseudonymKeys pseudonyms = PseudonymKeys.open(keyDir, master);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("smime", smime.rewrapAll());
        counts.put("openpgp", openpgp.rewrapAll());
        counts.put("pseudonym", pseudonyms.rewrapAll());
        counts.put("arc", ArcSigningKey.rewrap(keyDir, master));
        // a server may have created a key between our first look and now: it wrapped it under the next key
        // already (it checks for one before it wraps), but a second pass costs little and proves it
        int late = smime.rewrapAll() + openpgp.rewrapAll() + pseudonyms.rewrapAll() + ArcSigningKey.rewrap(keyDir, master);
        master.completeRotation();
        verify(keyDir, data, env);
        int total = counts.values().stream().mapToInt(v -> (Integer) v).sum() + late;
        counts.put("total", total);
        counts.put("keyFile", fromFile ? data.resolve("master.key").toString() : null);
        KeysCommand.audit(config, "master-key-rotate", List.of("master-key"), total + " wrapped key(s) re-wrapped under a new"
                + " master key");
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(counts));
        } else {
            System.out.println("re-wrapped " + total + " key(s) (S/MIME " + counts.get("smime") + ", OpenPGP "
                    + counts.get("openpgp") + ", pseudonym " + counts.get("pseudonym") + ", ARC " + counts.get("arc") + ")");
            System.out.println(fromFile ? "the new master key is in " + data.resolve("master.key") + "; the old one no longer"
                    + " opens anything — back up the new one"
                    : "done: remove " + MasterKey.PREVIOUS_ENV_VARIABLE + " from the server's environment");
        }
        return 0;
    }

    /** Opens every store with the master key as it now is (the new one alone) and unwraps every key once. */
    private static void verify(Path keyDir, Path data, Map<String, String> env) throws KeyException {
        Map<String, String> withoutPrevious = new java.util.HashMap<>(env);
        withoutPrevious.remove(MasterKey.PREVIOUS_ENV_VARIABLE);
        MasterKey fresh = KeyService.masterKey(data, withoutPrevious);
        if (VeilKeys.open(keyDir, fresh).rewrapAll() + OpenPgpKeys.open(keyDir, fresh).rewrapAll()
                + PseudonymKeys.open(keyDir, fresh).rewrapAll() + ArcSigningKey.rewrap(keyDir, fresh) != 0) {
            throw new KeyException("after the rotation some keys were still not under the new master key; run"
                    + " veil keys rotate-master again");
        }
    }
}
