/*
 * wsshare Wine agent: one modelled process.
 *
 * The harness (wsshare.conformance.drivers.wine) starts one agent per process of a
 * scenario under Wine and drives it through stdin, one command per line:
 *
 *   WSAStartup | WSACleanup | WSASocket | getpid | exit
 *   connect H PORT | bind H | listen H | accept H
 *   WSADuplicateSocket H PID [null]      (null: pass a NULL lpProtocolInfo)
 *   WSASocketFromInfo HEX                (the 628-byte WSAPROTOCOL_INFOW, hex)
 *   closesocket H | send H | recv H | getsockopt H
 *   setsockopt H 0|1                     (SO_KEEPALIVE: 0 is the default value)
 *   WSAEventSelect H MASK                (a fresh event per call; MASK 0 cancels)
 *   ioctlsocket_fionbio H 0|1
 *   openprocess PID                      (keeps a handle: the process object outlives
 *                                         the process, as when a parent still holds it)
 *   WSAAsyncSelect H MASK                (no window: only the handle check matters)
 *   probe H                              (the addresses of H's socket; no Winsock state
 *                                         changes, so the driver may look before acting)
 *   closehandle H                        (CloseHandle, not closesocket: how the driver
 *                                         frees handles pre-placed by infos never used
 *                                         when it resets an agent for the next run)
 *
 * H is a handle value in decimal (or 0x... hex). Each command gets exactly one JSON line
 * on stdout: the return value, WSAGetLastError (name and number) when the call failed,
 * the handle a call returned, this process's id, the info bytes WSADuplicateSocket
 * produced, and the addresses of the socket the call used or made (before and after the
 * call), from which the harness derives a socket identity. Nothing here interprets the
 * results: judging them is the checker's job.
 *
 * Sockets are created with WSA_FLAG_NO_HANDLE_INHERIT: a socket inherited by a child
 * process would make a handoff prove nothing (recording.md).
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

static const struct { int code; const char *name; } wsa_names[] = {
    {995, "WSA_OPERATION_ABORTED"}, {10004, "WSAEINTR"}, {10009, "WSAEBADF"},
    {10013, "WSAEACCES"}, {10014, "WSAEFAULT"}, {10022, "WSAEINVAL"},
    {10024, "WSAEMFILE"}, {10035, "WSAEWOULDBLOCK"}, {10036, "WSAEINPROGRESS"},
    {10037, "WSAEALREADY"}, {10038, "WSAENOTSOCK"}, {10039, "WSAEDESTADDRREQ"},
    {10040, "WSAEMSGSIZE"}, {10041, "WSAEPROTOTYPE"}, {10042, "WSAENOPROTOOPT"},
    {10043, "WSAEPROTONOSUPPORT"}, {10044, "WSAESOCKTNOSUPPORT"},
    {10045, "WSAEOPNOTSUPP"}, {10047, "WSAEAFNOSUPPORT"}, {10048, "WSAEADDRINUSE"},
    {10049, "WSAEADDRNOTAVAIL"}, {10050, "WSAENETDOWN"}, {10053, "WSAECONNABORTED"},
    {10054, "WSAECONNRESET"}, {10055, "WSAENOBUFS"}, {10056, "WSAEISCONN"},
    {10057, "WSAENOTCONN"}, {10058, "WSAESHUTDOWN"}, {10060, "WSAETIMEDOUT"},
    {10061, "WSAECONNREFUSED"}, {10091, "WSASYSNOTREADY"},
    {10092, "WSAVERNOTSUPPORTED"}, {10093, "WSANOTINITIALISED"},
    {10104, "WSAEINVALIDPROCTABLE"}, {10105, "WSAEINVALIDPROVIDER"},
    {10106, "WSAEPROVIDERFAILEDINIT"}, {10107, "WSASYSCALLFAILURE"},
};

static const char *wsa_name(int code)
{
    size_t i;
    for (i = 0; i < sizeof(wsa_names) / sizeof(wsa_names[0]); i++)
        if (wsa_names[i].code == code) return wsa_names[i].name;
    return "UNKNOWN";
}

/* One response line, built up field by field. */
static char out[4096];
static size_t used;

static void field(const char *fmt, ...)
{
    va_list ap;
    if (used) out[used++] = ',';
    va_start(ap, fmt);
    used += vsnprintf(out + used, sizeof(out) - used, fmt, ap);
    va_end(ap);
}

static void emit(void)
{
    printf("{%s}\n", out);
    fflush(stdout);
    used = 0;
    out[0] = 0;
}

/* The outcome of the call: its return value and, on failure, the error, read at once
 * so that no later call (the address probes below) can overwrite it. */
static void result(const char *cmd, long long ret, int failed)
{
    field("\"cmd\":\"%s\"", cmd);
    field("\"ret\":%lld", ret);
    field("\"ok\":%s", failed ? "false" : "true");
    if (failed) {
        int err = WSAGetLastError();
        field("\"error\":\"%s\"", wsa_name(err));
        field("\"errno\":%d", err);
    }
}

static void address(const char *key, struct sockaddr_in *a)
{
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    field("\"%s\":\"%s:%u\"", key, ip, ntohs(a->sin_port));
}

/* What can be learnt of the socket behind `s` without changing it: its local and peer
 * addresses and whether it listens. `prefix` tells the harness whether this was read
 * before or after the call. Errors here are ignored: a handle that names no socket
 * simply has no addresses. */
static void probe(const char *prefix, SOCKET s)
{
    struct sockaddr_in a;
    int len = sizeof(a), listening = 0, optlen = sizeof(listening);
    char key[32];
    int saved = WSAGetLastError();
    memset(&a, 0, sizeof(a));
    if (getsockname(s, (struct sockaddr *)&a, &len) == 0 && a.sin_port) {
        snprintf(key, sizeof(key), "%s_local", prefix);
        address(key, &a);
    }
    len = sizeof(a);
    if (getpeername(s, (struct sockaddr *)&a, &len) == 0) {
        snprintf(key, sizeof(key), "%s_peer", prefix);
        address(key, &a);
    }
    if (getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening, &optlen) == 0)
        field("\"%s_listening\":%s", prefix, listening ? "true" : "false");
    WSASetLastError(saved);
}

static SOCKET parse_handle(const char *t)
{
    return t ? (SOCKET)strtoull(t, NULL, 0) : INVALID_SOCKET;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void handle_field(SOCKET s)
{
    field("\"handle\":%llu", (unsigned long long)s);
}

int main(void)
{
    char line[4096];

    setvbuf(stdout, NULL, _IOFBF, 8192);
    while (fgets(line, sizeof(line), stdin)) {
        char *cmd = strtok(line, " \r\n");
        char *a1 = strtok(NULL, " \r\n");
        char *a2 = strtok(NULL, " \r\n");
        char *a3 = strtok(NULL, " \r\n");
        if (!cmd) continue;
        used = 0;
        out[0] = 0;

        if (!strcmp(cmd, "WSAStartup")) {
            WSADATA data;
            int r = WSAStartup(MAKEWORD(2, 2), &data);
            /* WSAStartup returns the error instead of setting it. */
            field("\"cmd\":\"WSAStartup\"");
            field("\"ret\":%d", r);
            field("\"ok\":%s", r ? "false" : "true");
            if (r) { field("\"error\":\"%s\"", wsa_name(r)); field("\"errno\":%d", r); }
        } else if (!strcmp(cmd, "WSACleanup")) {
            int r = WSACleanup();
            result(cmd, r, r != 0);
        } else if (!strcmp(cmd, "WSASocket")) {
            SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                                  WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
            result(cmd, s == INVALID_SOCKET ? -1 : 0, s == INVALID_SOCKET);
            if (s != INVALID_SOCKET) { handle_field(s); probe("after", s); }
        } else if (!strcmp(cmd, "WSASocketFromInfo")) {
            WSAPROTOCOL_INFOW info;
            unsigned char *p = (unsigned char *)&info;
            size_t i, n = a1 ? strlen(a1) : 0;
            SOCKET s;
            if (n != 2 * sizeof(info)) {
                field("\"cmd\":\"%s\"", cmd);
                field("\"bad_command\":\"info must be %u hex bytes, got %u hex digits\"",
                      (unsigned)sizeof(info), (unsigned)n);
                emit();
                continue;
            }
            for (i = 0; i < sizeof(info); i++)
                p[i] = (unsigned char)(hexval(a1[2 * i]) << 4 | hexval(a1[2 * i + 1]));
            /* FROM_PROTOCOL_INFO for af, type and protocol, as the seed's table does. */
            s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info,
                           0, WSA_FLAG_OVERLAPPED);
            result(cmd, s == INVALID_SOCKET ? -1 : 0, s == INVALID_SOCKET);
            if (s != INVALID_SOCKET) { handle_field(s); probe("after", s); }
        } else if (!strcmp(cmd, "WSADuplicateSocket")) {
            WSAPROTOCOL_INFOW info;
            SOCKET s = parse_handle(a1);
            DWORD pid = a2 ? (DWORD)strtoul(a2, NULL, 0) : 0;
            int null_buffer = a3 && !strcmp(a3, "null");
            int r;
            memset(&info, 0, sizeof(info));
            probe("before", s);
            r = WSADuplicateSocketW(s, pid, null_buffer ? NULL : &info);
            result(cmd, r, r != 0);
            if (r == 0 && !null_buffer) {
                const unsigned char *p = (const unsigned char *)&info;
                size_t i;
                char hex[2 * sizeof(info) + 1];
                for (i = 0; i < sizeof(info); i++) sprintf(hex + 2 * i, "%02x", p[i]);
                field("\"info\":\"%s\"", hex);
            }
        } else if (!strcmp(cmd, "closesocket")) {
            SOCKET s = parse_handle(a1);
            int r;
            probe("before", s);
            r = closesocket(s);
            result(cmd, r, r != 0);
        } else if (!strcmp(cmd, "connect")) {
            SOCKET s = parse_handle(a1);
            struct sockaddr_in to;
            int r;
            memset(&to, 0, sizeof(to));
            to.sin_family = AF_INET;
            to.sin_port = htons((unsigned short)(a2 ? atoi(a2) : 0));
            to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            probe("before", s);
            r = connect(s, (struct sockaddr *)&to, sizeof(to));
            result(cmd, r, r != 0);
            probe("after", s);
        } else if (!strcmp(cmd, "bind")) {
            SOCKET s = parse_handle(a1);
            struct sockaddr_in at;
            int r;
            memset(&at, 0, sizeof(at));
            at.sin_family = AF_INET;
            at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            probe("before", s);
            r = bind(s, (struct sockaddr *)&at, sizeof(at));
            result(cmd, r, r != 0);
            probe("after", s);
        } else if (!strcmp(cmd, "listen")) {
            SOCKET s = parse_handle(a1);
            int r;
            probe("before", s);
            r = listen(s, 8);
            result(cmd, r, r != 0);
            probe("after", s);
        } else if (!strcmp(cmd, "accept")) {
            SOCKET s = parse_handle(a1), c;
            probe("before", s);
            c = accept(s, NULL, NULL);
            result(cmd, c == INVALID_SOCKET ? -1 : 0, c == INVALID_SOCKET);
            if (c != INVALID_SOCKET) { handle_field(c); probe("after", c); }
        } else if (!strcmp(cmd, "send")) {
            SOCKET s = parse_handle(a1);
            int r;
            probe("before", s);
            r = send(s, "wsshare", 7, 0);
            result(cmd, r, r < 0);
        } else if (!strcmp(cmd, "recv")) {
            SOCKET s = parse_handle(a1);
            char buf[4096];
            int r;
            probe("before", s);
            r = recv(s, buf, sizeof(buf), 0);
            result(cmd, r, r < 0);
        } else if (!strcmp(cmd, "setsockopt")) {
            SOCKET s = parse_handle(a1);
            BOOL v = a2 && atoi(a2) != 0;
            int r;
            probe("before", s);
            r = setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, (const char *)&v, sizeof(v));
            result(cmd, r, r != 0);
        } else if (!strcmp(cmd, "getsockopt")) {
            SOCKET s = parse_handle(a1);
            DWORD v = 0;
            int len = sizeof(v), r;
            probe("before", s);
            r = getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, &len);
            result(cmd, r, r != 0);
            if (r == 0) field("\"value\":%lu", (unsigned long)v);
        } else if (!strcmp(cmd, "WSAEventSelect")) {
            SOCKET s = parse_handle(a1);
            long mask = a2 ? strtol(a2, NULL, 0) : 0;
            WSAEVENT e = WSACreateEvent();
            int r;
            probe("before", s);
            r = WSAEventSelect(s, e, mask);
            result(cmd, r, r != 0);
            /* The event stays open: closing it would leave a registration with a dead
             * event, which no modelled program does. */
        } else if (!strcmp(cmd, "WSAAsyncSelect")) {
            SOCKET s = parse_handle(a1);
            long mask = a2 ? strtol(a2, NULL, 0) : 0;
            int r;
            probe("before", s);
            /* WM_USER + 1 to no window: the driver only issues this with a handle that
             * names nothing, where the handle check fails first. */
            r = WSAAsyncSelect(s, NULL, WM_USER + 1, mask);
            result(cmd, r, r != 0);
        } else if (!strcmp(cmd, "probe")) {
            field("\"cmd\":\"probe\"");
            field("\"ret\":0");
            field("\"ok\":true");
            probe("before", parse_handle(a1));
        } else if (!strcmp(cmd, "closehandle")) {
            BOOL r = CloseHandle((HANDLE)parse_handle(a1));
            field("\"cmd\":\"closehandle\"");
            field("\"ret\":%d", r ? 0 : -1);
            field("\"ok\":%s", r ? "true" : "false");
        } else if (!strcmp(cmd, "ioctlsocket_fionbio")) {
            SOCKET s = parse_handle(a1);
            u_long v = a2 ? strtoul(a2, NULL, 0) : 0;
            int r;
            probe("before", s);
            r = ioctlsocket(s, FIONBIO, &v);
            result(cmd, r, r != 0);
        } else if (!strcmp(cmd, "getpid")) {
            field("\"cmd\":\"getpid\"");
            field("\"ret\":0");
            field("\"ok\":true");
        } else if (!strcmp(cmd, "openprocess")) {
            DWORD pid = a1 ? (DWORD)strtoul(a1, NULL, 0) : 0;
            HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
            field("\"cmd\":\"openprocess\"");
            field("\"ret\":%d", h ? 0 : -1);
            field("\"ok\":%s", h ? "true" : "false");
            /* The handle is deliberately never closed (see the header comment). */
            if (h) field("\"kept\":%llu", (unsigned long long)(ULONG_PTR)h);
        } else if (!strcmp(cmd, "exit")) {
            field("\"cmd\":\"exit\"");
            field("\"ret\":0");
            field("\"ok\":true");
            field("\"pid\":%lu", (unsigned long)GetCurrentProcessId());
            emit();
            /* No WSACleanup: exiting is what the scenario records, and the system, not
             * ws2_32, closes what is left. */
            ExitProcess(0);
        } else {
            field("\"cmd\":\"%s\"", cmd);
            field("\"bad_command\":\"unknown command\"");
        }
        field("\"pid\":%lu", (unsigned long)GetCurrentProcessId());
        emit();
    }
    return 0;
}
