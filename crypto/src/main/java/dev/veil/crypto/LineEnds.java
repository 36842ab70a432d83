package dev.veil.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds line ends in bytes eight at a time, with the "has a zero byte" trick on the word XORed with CR and with LF.
 * In little-endian order the lowest flagged byte is always a true match (borrows can only flag bytes above it), so
 * the first match is exact. Byte by byte, these searches were the larger part of sealing a 1 MB message once the
 * cipher and base64 were fast, and of receiving and relaying it.
 */
public final class LineEnds {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;

    private LineEnds() {
    }

    /** The index of the first CR or LF in {@code bytes[from, end)}, or -1. */
    public static int indexOfCrOrLf(byte[] bytes, int from, int end) {
        int i = from;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = (long) LONGS.get(bytes, i);
            long cr = word ^ CRS;
            long lf = word ^ LFS;
            long found = ((cr - ONES) & ~cr | (lf - ONES) & ~lf) & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++) {
            if (bytes[i] == '\r' || bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The index of the first LF in {@code bytes[from, end)}, or -1. */
    public static int indexOfLf(byte[] bytes, int from, int end) {
        int i = from;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long lf = (long) LONGS.get(bytes, i) ^ LFS;
            long found = (lf - ONES) & ~lf & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
