package dev.veil.gateway.correspondents;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** An in-test Reidentifier: aliases are the addresses at {@code alias.example.net}, resolved from a map. */
final class MapReidentifier implements Reidentifier {
    static final String ALIAS_DOMAIN = "alias.example.net";
    final Map<String, String> addresses = new HashMap<>();
    final Map<String, String> messageIds = new HashMap<>();
    RuntimeException failure;
    /** The display names Veil gives correspondents; null: none. */
    java.util.regex.Pattern labels;

    MapReidentifier alias(String alias, String real) {
        addresses.put(alias.toLowerCase(Locale.ROOT), real);
        return this;
    }

    MapReidentifier messageId(String token, String real) {
        messageIds.put(token, real);
        return this;
    }

    @Override
    public boolean isAliasAddress(String address) {
        if (failure != null) {
            throw failure;
        }
        return address.toLowerCase(Locale.ROOT).endsWith("@" + ALIAS_DOMAIN);
    }

    @Override
    public Optional<String> realAddress(String aliasAddress) {
        if (failure != null) {
            throw failure;
        }
        return Optional.ofNullable(addresses.get(aliasAddress.toLowerCase(Locale.ROOT)));
    }

    @Override
    public Optional<String> aliasOf(String realAddress) {
        return addresses.entrySet().stream().filter(e -> e.getValue().equalsIgnoreCase(realAddress))
                .map(Map.Entry::getKey).findFirst();
    }

    /** The alias local part, as the vault's would be: a party only if the map holds an alias for the address. */
    @Override
    public Optional<String> partyOf(String realAddress) {
        return aliasOf(realAddress).map(a -> a.substring(0, a.indexOf('@')));
    }

    @Override
    public boolean isLabel(String displayName) {
        return labels != null && labels.matcher(displayName).matches();
    }

    @Override
    public Optional<String> realMessageId(String tokenisedMessageId) {
        if (failure != null) {
            throw failure;
        }
        return Optional.ofNullable(messageIds.get(tokenisedMessageId));
    }
}
