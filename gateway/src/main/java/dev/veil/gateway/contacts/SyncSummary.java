package dev.veil.gateway.contacts;

import java.util.ArrayList;
import java.util.List;

/** What one {@code veil contacts} action did to one mailbox; {@link #line()} is the summary a person reads. */
public final class SyncSummary {
    private final String action;
    private final String mailbox;
    int created;
    int updated;
    int sealed;
    int unchanged;
    int alreadySealed;
    int removed;
    int exported;
    int plaintext;
    private final List<String> errors = new ArrayList<>();

    public SyncSummary(String action, String mailbox) {
        this.action = action;
        this.mailbox = mailbox;
    }

    void error(String what) {
        errors.add(what);
    }

    public List<String> errors() {
        return List.copyOf(errors);
    }

    public int failed() {
        return errors.size();
    }

    public int created() { return created; }
    public int updated() { return updated; }
    public int sealed() { return sealed; }
    public int unchanged() { return unchanged; }
    public int alreadySealed() { return alreadySealed; }
    public int removed() { return removed; }
    public int exported() { return exported; }
    public int plaintext() { return plaintext; }

    public String line() {
        StringBuilder s = new StringBuilder(action).append(' ').append(mailbox).append(':');
        switch (action) {
            case "import" -> s.append(' ').append(created).append(" created, ").append(updated).append(" updated, ")
                    .append(unchanged).append(" unchanged");
            case "seal" -> s.append(' ').append(sealed).append(" sealed, ").append(alreadySealed).append(" already sealed");
            case "sync" -> s.append(' ').append(sealed).append(" sealed, ").append(updated).append(" edits merged, ")
                    .append(removed).append(" removed, ").append(unchanged).append(" unchanged");
            case "rekey" -> s.append(' ').append(updated).append(" re-sealed under the new keys, ").append(unchanged)
                    .append(" already under them").append(plaintext > 0
                    ? ", " + plaintext + " not sealed (run veil contacts seal)" : "");
            default -> s.append(' ').append(exported).append(" exported").append(plaintext > 0
                    ? " (" + plaintext + " of them not sealed yet: run veil contacts seal)" : "");
        }
        return s.append(", ").append(errors.size()).append(" failed").toString();
    }
}
