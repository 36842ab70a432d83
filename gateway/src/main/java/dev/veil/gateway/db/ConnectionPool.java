package dev.veil.gateway.db;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A small pool of physical JDBC connections. A connection handed out is a proxy whose {@code close()} gives the
 * physical connection back (rolled back and set to auto-commit first if a caller left a transaction open).
 *
 * <p>Why not H2's {@code JdbcConnectionPool}: returning one of its connections always runs {@code ROLLBACK}, and H2
 * clears a session's cache of parsed statements on every rollback, so every statement of every message was parsed
 * again (a tenth of a loaded gateway's Java time). Here a session keeps its parsed statements across uses.
 */
final class ConnectionPool implements AutoCloseable {
    private static final long WAIT_SECONDS = 30;

    private final String url;
    private final String user;
    private final String password;
    private final int max;
    private final Semaphore permits;
    /** Most recently returned first: a warm session (its statement cache filled) is reused before a cold one. */
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    ConnectionPool(String url, String user, String password, int max) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.max = max;
        this.permits = new Semaphore(max, true);
    }

    Connection getConnection() throws SQLException {
        if (closed) {
            throw new SQLException("the database is closed");
        }
        try {
            if (!permits.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new SQLException("all " + max + " database connections are in use (waited " + WAIT_SECONDS + " s)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a database connection", e);
        }
        try {
            Connection physical;
            while ((physical = idle.pollFirst()) != null && physical.isClosed()) {
                // dropped by the database (e.g. closed at shutdown): take the next
            }
            if (physical == null) {
                physical = open();
            }
            return lease(physical);
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** H2 directly (no reliance on driver registration in the shaded jar); any other database through its driver. */
    private Connection open() throws SQLException {
        if (url.startsWith("jdbc:h2:")) {
            org.h2.jdbcx.JdbcDataSource h2 = new org.h2.jdbcx.JdbcDataSource();
            h2.setURL(url);
            h2.setUser(user);
            h2.setPassword(password);
            return h2.getConnection();
        }
        return DriverManager.getConnection(url, user, password);
    }

    /**
     * H2's errors for a database it has closed (after a disk filled up, say) and a broken connection: every session of
     * that database is dead, and a new connection opens the file again (H2 recovers it). Without throwing the sessions
     * away the pool handed out dead ones for ever, until a restart (a black-box probe's gateway refused all mail with
     * "The database has been closed" minutes after the disk had space again).
     */
    private static final java.util.Set<Integer> DATABASE_GONE = java.util.Set.of(90098, 90121, 90067);

    private static boolean databaseGone(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException e && DATABASE_GONE.contains(e.getErrorCode())) {
                return true;
            }
        }
        return false;
    }

    /**
     * What a call on a session threw, noted first: after {@link #databaseGone} the session is {@code broken} (not given
     * back) and no idle one works either.
     */
    private Throwable failed(Throwable thrown, AtomicBoolean broken) {
        if (databaseGone(thrown)) {
            broken.set(true);
            discardIdle();
        }
        return thrown;
    }

    /** Closes every idle session: after {@link #databaseGone} none of them works. */
    private void discardIdle() {
        Connection physical;
        while ((physical = idle.pollFirst()) != null) {
            try {
                physical.close();
            } catch (SQLException ignored) {
                // dead already
            }
        }
    }

    private Connection lease(Connection physical) {
        AtomicBoolean returned = new AtomicBoolean();
        AtomicBoolean broken = new AtomicBoolean();
        InvocationHandler handler = (proxy, method, args) -> {
            String name = method.getName();
            if (name.equals("close") && method.getParameterCount() == 0) {
                if (returned.compareAndSet(false, true)) {
                    giveBack(physical, broken.get());
                }
                return null;
            }
            if (name.equals("isClosed") && method.getParameterCount() == 0) {
                return returned.get() || physical.isClosed();
            }
            if (returned.get() && !name.equals("toString") && !name.equals("hashCode") && !name.equals("equals")) {
                throw new SQLException("connection used after close()");
            }
            try {
                Object result = method.invoke(physical, args);
                return result instanceof java.sql.Statement statement ? watched(statement, broken) : result;
            } catch (InvocationTargetException e) {
                throw failed(e.getCause(), broken);
            }
        };
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                handler);
    }

    /**
     * The statement, watched for {@link #databaseGone} errors: those come from executing statements, and the session
     * that ran one must not go back into the pool.
     */
    private java.sql.Statement watched(java.sql.Statement statement, AtomicBoolean broken) {
        java.util.List<Class<?>> interfaces = new java.util.ArrayList<>(java.util.List.of(java.sql.Statement.class));
        if (statement instanceof java.sql.CallableStatement) {
            interfaces.add(java.sql.CallableStatement.class);
        }
        if (statement instanceof java.sql.PreparedStatement) {
            interfaces.add(java.sql.PreparedStatement.class);
        }
        InvocationHandler handler = (proxy, method, args) -> {
            try {
                return method.invoke(statement, args);
            } catch (InvocationTargetException e) {
                throw failed(e.getCause(), broken);
            }
        };
        return (java.sql.Statement) Proxy.newProxyInstance(java.sql.Statement.class.getClassLoader(),
                interfaces.toArray(Class<?>[]::new), handler);
    }

    /** @param broken the database behind it is gone ({@link #databaseGone}): closed, not pooled */
    private void giveBack(Connection physical, boolean broken) {
        try {
            if (!broken && !physical.isClosed() && !physical.getAutoCommit()) {
                physical.rollback(); // a caller failed mid-transaction: nothing of it may leak into the next use
                physical.setAutoCommit(true);
            }
            if (broken || closed || physical.isClosed()) {
                physical.close();
            } else {
                idle.offerFirst(physical);
            }
        } catch (SQLException e) {
            try {
                physical.close();
            } catch (SQLException ignored) {
                // it is being thrown away anyway
            }
        } finally {
            permits.release();
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection physical;
        while ((physical = idle.pollFirst()) != null) {
            try {
                physical.close();
            } catch (SQLException ignored) {
                // closing at shutdown: nothing more to do with it
            }
        }
    }
}
