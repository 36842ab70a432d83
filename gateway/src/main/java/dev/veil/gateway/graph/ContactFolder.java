package dev.veil.gateway.graph;

import java.nio.charset.StandardCharsets;

/**
 * Where a mailbox's contacts are in Graph: {@code users/{mailbox}/contacts} (the default Contacts folder), or
 * {@code users/{mailbox}/contactFolders/{folderId}/contacts} when {@code folderId} is set.
 */
public record ContactFolder(String mailbox, String folderId) {

    public ContactFolder {
        if (mailbox == null || mailbox.isBlank()) {
            throw new IllegalArgumentException("a mailbox is needed (the Graph user id users/{mailbox})");
        }
    }

    public static ContactFolder of(String mailbox) {
        return new ContactFolder(mailbox, null);
    }

    /** The collection path relative to {@code graph.baseUrl}, without a leading slash. */
    public String path() {
        String user = "users/" + segment(mailbox);
        return folderId == null ? user + "/contacts" : user + "/contactFolders/" + segment(folderId) + "/contacts";
    }

    public String contact(String id) {
        return path() + "/" + segment(id);
    }

    /** Percent-encodes a path segment, keeping what Graph ids and addresses use unencoded ({@code @ = - _ . ~}). */
    public static String segment(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "@=-_.~".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }
}
