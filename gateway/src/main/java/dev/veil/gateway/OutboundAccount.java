package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;
import java.util.ArrayList;
import java.util.List;

/**
 * One SMTP AUTH account of the outbound listener ({@code outbound.accounts[]}). The password is stored only as an
 * Argon2id hash in PHC form; {@code veil hash-password} makes one. {@code senders}, when given, are the envelope
 * senders the account may use ({@code alice@example.com}, with its {@code +} sub-addresses, or {@code @example.com}
 * for a whole domain), as Postfix's {@code smtpd_sender_login_maps}; without it, any address of a protected domain.
 */
public class OutboundAccount {
    @NotEmpty
    private String username = "";

    @NotEmpty
    private String passwordHash = "";

    private List<String> senders = new ArrayList<>();

    @JsonProperty public String getUsername() { return username; }
    @JsonProperty public void setUsername(String v) { username = v; }
    @JsonProperty public String getPasswordHash() { return passwordHash; }
    @JsonProperty public void setPasswordHash(String v) { passwordHash = v; }
    @JsonProperty public List<String> getSenders() { return senders; }
    @JsonProperty public void setSenders(List<String> v) { senders = v == null ? new ArrayList<>() : v; }
}
