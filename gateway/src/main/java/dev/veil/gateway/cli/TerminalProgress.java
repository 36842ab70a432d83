package dev.veil.gateway.cli;

import dev.veil.gateway.contacts.ContactSync;

/** A progress bar on stdout when it is a terminal ({@code \r}-redrawn, at most ten times a second); silent otherwise. */
final class TerminalProgress implements ContactSync.Progress {
    private static final int WIDTH = 30;
    private String what = "";
    private int total;
    private int done;
    private long drawnAt;

    static ContactSync.Progress forStdout() {
        return System.console() != null ? new TerminalProgress() : ContactSync.Progress.NONE;
    }

    @Override
    public void start(String what, int total) {
        this.what = what;
        this.total = total;
        this.done = 0;
        draw(true);
    }

    @Override
    public void advance() {
        done++;
        draw(done == total);
    }

    @Override
    public void finish() {
        System.out.print("\r" + " ".repeat(what.length() + WIDTH + 30) + "\r");
        System.out.flush();
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - drawnAt < 100_000_000L) {
            return;
        }
        drawnAt = now;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        System.out.print("\r" + what + " [" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + done + "/" + total);
        System.out.flush();
    }
}
