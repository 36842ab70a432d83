package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import dev.veil.gateway.db.Database;
import java.sql.Connection;

/** The spool table must answer. */
public final class DatabaseHealthCheck extends HealthCheck {
    private final Database database;

    public DatabaseHealthCheck(Database database) {
        this.database = database;
    }

    @Override
    protected Result check() throws Exception {
        try (Connection c = database.connection()) {
            return c.isValid(2) ? Result.healthy() : Result.unhealthy("database connection is not valid");
        }
    }
}
