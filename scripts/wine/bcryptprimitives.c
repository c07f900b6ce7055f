/*
 * Minimal bcryptprimitives.dll shim for running Bun-compiled Windows
 * executables under Wine versions that lack this DLL (e.g. Debian 12's
 * Wine 8.0).
 *
 * Bun's Windows runtime imports exactly one symbol from it:
 *     BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData);
 * which on real Windows fills the buffer from the process-wide CSPRNG and
 * always returns TRUE.  We forward to advapi32!SystemFunction036
 * (RtlGenRandom), which Wine implements on top of the host's
 * /dev/urandom / getrandom().
 *
 * Build (done by scripts/wine/setup.sh):
 *   x86_64-w64-mingw32-gcc -O2 -shared -s -o bcryptprimitives.dll \
 *       bcryptprimitives.c bcryptprimitives.def -ladvapi32
 *
 * Test-only helper: not shipped with logagent.
 */
#include <windows.h>

/* advapi32!SystemFunction036 == RtlGenRandom; takes a ULONG length. */
BOOLEAN WINAPI SystemFunction036(PVOID RandomBuffer, ULONG RandomBufferLength);

BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData)
{
    /* RtlGenRandom takes a 32-bit length: feed large requests in chunks. */
    while (cbData > 0) {
        ULONG chunk = cbData > 0x40000000u ? 0x40000000u : (ULONG)cbData;
        if (!SystemFunction036(pbData, chunk))
            return FALSE;
        pbData += chunk;
        cbData -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH)
        DisableThreadLibraryCalls(inst);
    return TRUE;
}
