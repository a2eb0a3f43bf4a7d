// SPDX-License-Identifier: MIT
// The device OS's main loop; see supervisor.h. One thread, one epoll set: the app's bus, its
// output, its peripheral channels, the control socket and a signalfd, with the nearest deadline
// (the SIGKILL after SIGTERM, a restart, a click's release) as the wait timeout.
#include "os/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/bus_server.h"
#include "os/ctl_commands.h"
#include "os/device_proxy.h"
#include "os/failure_events.h"
#include "os/supervisor_exit_record.h"
#include "os/supervisor_identity.h"
#include "os/update_agent.h"

// An app that dies within this long of starting counts towards the crash-loop back-off.
#define QUICK_EXIT_MS 10000
#define MAX_RESTART_DELAY_MS 30000
#define CLICK_MS 100

enum watch_kind {
    WATCH_SIGNAL = 1,
    WATCH_BUS,
    WATCH_OUTPUT,
    WATCH_CHANNEL,
    WATCH_CTL,
    WATCH_CLIENT,
    WATCH_UPDATE,
    WATCH_PROXY
};

static uint64_t tag(enum watch_kind kind, uint32_t index) {
    return ((uint64_t)kind << 32) | index;
}

static void watch(struct sim_supervisor *s, int fd, enum watch_kind kind, uint32_t index) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag(kind, index)};
    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch(struct sim_supervisor *s, int fd) {
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

static struct sim_device_log *device_log(struct sim_supervisor *s) {
    return &s->device->log;
}

// Keeps the epoll set in step with the board's open peripheral channels, slot by slot.
static void sync_channel_watches(struct sim_supervisor *s) {
    for (int slot = 0; slot < SIM_BOARD_CHANNEL_SLOTS; slot++) {
        int fd = sim_board_channel_fd(&s->device->board, slot);
        if (s->channel_watched[slot] == fd) {
            continue;
        }
        if (s->channel_watched[slot] >= 0) {
            // The board already closed the old descriptor, which removed it from the set.
            s->channel_watched[slot] = -1;
        }
        if (fd >= 0) {
            watch(s, fd, WATCH_CHANNEL, (uint32_t)slot);
            s->channel_watched[slot] = fd;
        }
    }
}

static void schedule_restart(struct sim_supervisor *s, int64_t ran_ms);

static void start_app(struct sim_supervisor *s) {
    struct sim_device *d = s->device;
    char err[512];
    sim_audit_reset(&d->audit);
    d->sysevent_fd = -1;
    d->power_request = SIM_POWER_NONE;
    if (sim_app_spawn(d, &s->app, err, sizeof(err)) != 0) {
        sim_device_log_os(device_log(s), "cannot start the app: %s", err);
        if (s->once) {
            fprintf(stderr, "spheresim: run: cannot start the app: %s\n", err);
            s->finished = true;
            s->exit_status = 1;
            return;
        }
        // The binary may be mid-rebuild: keep the device up and try again with the back-off.
        s->state = SIM_APP_IDLE;
        schedule_restart(s, 0);
        return;
    }
    watch(s, s->app.bus_fd, WATCH_BUS, 0);
    watch(s, s->app.output_fd, WATCH_OUTPUT, 0);
    s->state = SIM_APP_RUNNING;
    s->after_exit = SIM_AFTER_RESTART;
    s->sigterm_sent = false;
    s->sigkill_sent = false;
    s->app_started_ms = sim_clock_monotonic_ms();
    sim_update_agent_app_started(d->update);
    sim_failure_image_id(d->executable, s->image_id);
    sim_device_log_os(device_log(s), "started app '%s' (component %s) as pid %d", d->manifest.name,
                      d->manifest.component_id, (int)s->app.pid);
}

static void boot(struct sim_supervisor *s) {
    struct sim_device *d = s->device;
    sim_clock_reboot(&d->clock);
    sim_board_reset(&d->board);
    sync_channel_watches(s);
    d->network.interface_enabled = true;
    d->network.time_synced = d->network.link_up && !d->network.time_server_down;
    // Without a time sync (no network, or no time server) the clock starts from the OS image's
    // build time.
    if (d->network.time_synced) {
        sim_clock_sync(&d->clock);
    } else {
        sim_clock_start_unsynced(&d->clock);
    }
    d->power_profile = 2;  // HighPerformance: the default, not kept across reboots
    // A boot is a fresh start: crashes before it don't delay the app now.
    s->quick_exits = 0;
    sim_device_log_os(device_log(s), "boot: device %.16s…, network %s%s", d->device_id,
                      d->network.link_up ? "up" : "down",
                      d->network.link_up && !d->network.time_synced ? ", time not synced" : "");
    sim_supervisor_ensure_identity(s);
    sim_update_agent_boot(d->update);
    start_app(s);
}

static void stop_app(struct sim_supervisor *s, enum sim_after_exit after) {
    if (s->state == SIM_APP_RUNNING) {
        s->after_exit = after;
        s->state = SIM_APP_STOPPING;
        s->sigterm_sent = true;
        kill(s->app.pid, SIGTERM);
        s->kill_deadline_ms = sim_clock_monotonic_ms() + SIM_TERMINATION_GRACE_MS;
        return;
    }
    if (s->state == SIM_APP_STOPPING) {
        // A stop already under way: a harder request (shutdown, power cut) takes over.
        if (after == SIM_AFTER_SHUTDOWN || after == SIM_AFTER_POWER_CUT) {
            s->after_exit = after;
        }
        return;
    }
    // No app is running: act now.
    s->restart_deadline_ms = 0;
    switch (after) {
        case SIM_AFTER_SHUTDOWN:
            s->finished = true;
            break;
        case SIM_AFTER_REBOOT:
            boot(s);
            break;
        default:
            break;
    }
}

static void schedule_restart(struct sim_supervisor *s, int64_t ran_ms) {
    s->quick_exits = ran_ms < QUICK_EXIT_MS ? s->quick_exits + 1 : 1;
    int64_t delay = 0;
    if (s->quick_exits > 1) {
        unsigned shift = s->quick_exits - 2 < 16 ? s->quick_exits - 2 : 16;
        delay = (int64_t)1000 << shift;
        if (delay > MAX_RESTART_DELAY_MS) {
            delay = MAX_RESTART_DELAY_MS;
        }
    }
    s->restarts++;
    if (delay == 0) {
        sim_device_log_os(device_log(s), "restarting the app (restart %u)", s->restarts);
        start_app(s);
        return;
    }
    if (s->quick_exits == 2) {
        char description[SIM_EVENT_DESCRIPTION_MAX];
        snprintf(description, sizeof(description), "AppCrashLoop (component_id=%s; image_id=%s)",
                 s->device->manifest.component_id, s->image_id);
        sim_failure_event_record(s->device, SIM_EVENT_UNPLANNED, SIM_EVENT_CLASS_APPLICATION,
                                 description);
    }
    sim_device_log_os(device_log(s),
                      "the app keeps exiting (%u times within %d s of starting): restart %u in "
                      "%lld ms",
                      s->quick_exits, QUICK_EXIT_MS / 1000, s->restarts, (long long)delay);
    s->state = SIM_APP_WAITING;
    s->restart_deadline_ms = sim_clock_monotonic_ms() + delay;
}

static void drain_output(struct sim_supervisor *s) {
    char buf[4096];
    ssize_t n;
    while ((n = read(s->app.output_fd, buf, sizeof(buf))) > 0) {
        sim_device_log_app_output(device_log(s), buf, (size_t)n);
    }
}

static void boot(struct sim_supervisor *s);

// Carries out what the update agent asked for. Returns false for SIM_UPDATE_NONE.
static bool apply_update_action(struct sim_supervisor *s, enum sim_update_action action) {
    switch (action) {
        case SIM_UPDATE_NONE:
            return false;
        case SIM_UPDATE_STOP_APP:
            if (s->state == SIM_APP_RUNNING) {
                stop_app(s, SIM_AFTER_UPDATE);
            } else if (s->state == SIM_APP_STOPPING) {
                // Already going: a reboot or shutdown under way wins; a restart becomes the
                // install.
                if (s->after_exit == SIM_AFTER_RESTART) {
                    s->after_exit = SIM_AFTER_UPDATE;
                }
            } else if (s->state == SIM_APP_IDLE || s->state == SIM_APP_WAITING) {
                s->restart_deadline_ms = 0;
                s->state = SIM_APP_IDLE;
                apply_update_action(s, sim_update_agent_app_stopped(s->device->update));
            }
            return true;
        case SIM_UPDATE_START_APP:
            if (s->state == SIM_APP_IDLE || s->state == SIM_APP_WAITING) {
                s->restart_deadline_ms = 0;
                s->quick_exits = 0;
                start_app(s);
            }
            return true;
        case SIM_UPDATE_REBOOT:
            if (s->state == SIM_APP_IDLE || s->state == SIM_APP_WAITING) {
                s->restart_deadline_ms = 0;
                boot(s);
            }
            return true;
    }
    return false;
}

static void handle_app_exit(struct sim_supervisor *s, int status) {
    struct sim_device *d = s->device;
    drain_output(s);
    sim_device_log_app_flush(device_log(s));
    unwatch(s, s->app.bus_fd);
    unwatch(s, s->app.output_fd);
    close(s->app.bus_fd);
    close(s->app.output_fd);
    sim_board_release_all(&d->board);
    sync_channel_watches(s);
    if (d->sysevent_fd >= 0) {
        close(d->sysevent_fd);
        d->sysevent_fd = -1;
    }
    s->kill_deadline_ms = 0;

    int64_t ran_ms = sim_clock_monotonic_ms() - s->app_started_ms;
    bool signaled = WIFSIGNALED(status);
    int code = signaled ? WTERMSIG(status) : WEXITSTATUS(status);
    sim_supervisor_record_exit(s, status, ran_ms);

    s->state = SIM_APP_IDLE;
    if (s->once) {
        s->finished = true;
        s->exit_status = signaled ? 128 + code : code;
        return;
    }
    switch (s->after_exit) {
        case SIM_AFTER_SHUTDOWN:
            s->finished = true;
            s->exit_status = 0;
            return;
        case SIM_AFTER_REBOOT:
            boot(s);
            return;
        case SIM_AFTER_POWER_DOWN:
        case SIM_AFTER_POWER_CUT:
            sim_board_reset(&d->board);
            s->state = SIM_APP_POWERED_OFF;
            if (s->after_exit == SIM_AFTER_POWER_DOWN && d->power_down_seconds > 0) {
                // The RTC alarm wakes the device: its residency is device time.
                s->power_on_device_ms =
                    sim_clock_device_ms(&d->clock) + (int64_t)d->power_down_seconds * 1000;
                sim_device_log_os(device_log(s), "powered down; wakes in %u s",
                                  d->power_down_seconds);
            } else {
                sim_device_log_os(device_log(s), "powered off");
            }
            return;
        case SIM_AFTER_UPDATE:
            apply_update_action(s, sim_update_agent_app_stopped(d->update));
            return;
        case SIM_AFTER_RESTART:
            // A new app on trial that keeps failing is rolled back and restarted at once.
            if (apply_update_action(s, sim_update_agent_app_exited(d->update, true))) {
                return;
            }
            schedule_restart(s, ran_ms);
            return;
    }
}

static void reap_children(struct sim_supervisor *s) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (s->state != SIM_APP_IDLE && s->state != SIM_APP_WAITING && pid == s->app.pid) {
            handle_app_exit(s, status);
        }
    }
}

static void act_on_power_request(struct sim_supervisor *s) {
    struct sim_device *d = s->device;
    enum sim_power_request request = d->power_request;
    d->power_request = SIM_POWER_NONE;
    if (request == SIM_POWER_REBOOT) {
        sim_device_log_os(device_log(s), "the app requested a reboot");
        char description[SIM_EVENT_DESCRIPTION_MAX];
        snprintf(description, sizeof(description),
                 "DeviceReboot (requested_by=application; component_id=%s)",
                 d->manifest.component_id);
        sim_failure_event_record(d, SIM_EVENT_PLANNED, SIM_EVENT_CLASS_OS, description);
        stop_app(s, SIM_AFTER_REBOOT);
    } else if (request == SIM_POWER_DOWN) {
        sim_device_log_os(device_log(s), "the app requested a power-down for up to %u s",
                          d->power_down_seconds);
        stop_app(s, SIM_AFTER_POWER_DOWN);
    }
}

static void serve_bus(struct sim_supervisor *s) {
    static struct devbus_msg request;
    static struct devbus_msg reply;
    for (;;) {
        int stray_fd = -1;
        if (devbus_recv(s->app.bus_fd, &request, &stray_fd) != 0) {
            if (errno == EPROTO) {
                sim_device_log_os(device_log(s), "bus: dropped a malformed message from the app");
                continue;
            }
            // EAGAIN: nothing more for now; end of stream: the app is going away.
            if (errno != EAGAIN) {
                unwatch(s, s->app.bus_fd);
            }
            return;
        }
        if (stray_fd >= 0) {
            close(stray_fd);
        }
        int fd_to_pass = -1;
        sim_bus_handle(s->device, &request, &reply, &fd_to_pass);
        if (devbus_send(s->app.bus_fd, &reply, fd_to_pass) != 0) {
            sim_device_log_os(device_log(s), "bus: reply to the app failed: %s", strerror(errno));
        }
        if (fd_to_pass >= 0) {
            close(fd_to_pass);
        }
        sync_channel_watches(s);
        act_on_power_request(s);
    }
}

static void serve_output(struct sim_supervisor *s) {
    char buf[4096];
    ssize_t n = read(s->app.output_fd, buf, sizeof(buf));
    if (n > 0) {
        sim_device_log_app_output(device_log(s), buf, (size_t)n);
    } else if (n == 0) {
        unwatch(s, s->app.output_fd);
    }
}

static void accept_clients(struct sim_supervisor *s) {
    for (;;) {
        int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            return;
        }
        size_t slot = 0;
        while (slot < SIM_CTL_MAX_CLIENTS && s->clients[slot].fd >= 0) {
            slot++;
        }
        if (slot == SIM_CTL_MAX_CLIENTS) {
            struct sim_ctl_client busy = {.fd = fd};
            sim_ctl_client_reply(&busy, "{\"ok\":false,\"error\":\"too many control clients\"}");
            continue;
        }
        s->clients[slot] = (struct sim_ctl_client){.fd = fd};
        watch(s, fd, WATCH_CLIENT, (uint32_t)slot);
    }
}

static void serve_client(struct sim_supervisor *s, uint32_t slot) {
    struct sim_ctl_client *client = &s->clients[slot];
    int status = sim_ctl_client_read(client);
    if (status == 0) {
        return;
    }
    unwatch(s, client->fd);
    if (status < 0) {
        close(client->fd);
        client->fd = -1;
        client->len = 0;
        return;
    }
    static char reply[65536];
    sim_ctl_execute(s, client->line, reply, sizeof(reply));
    sim_ctl_client_reply(client, reply);
}

static void serve_signals(struct sim_supervisor *s) {
    struct signalfd_siginfo info;
    while (read(s->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
        if (info.ssi_signo == SIGCHLD) {
            reap_children(s);
        } else {
            // A repeated request (tools like timeout(1) signal twice) keeps the same 2 s grace.
            sim_device_log_os(device_log(s), "stopping (signal %u)", info.ssi_signo);
            stop_app(s, SIM_AFTER_SHUTDOWN);
        }
    }
}

// A device-time target as a host deadline (0 stays 0), converted at each wait so that a rate
// change since it was set is taken into account.
static int64_t device_deadline(const struct sim_supervisor *s, int64_t device_target_ms) {
    return device_target_ms != 0 ? sim_clock_host_deadline_ms(&s->device->clock, device_target_ms)
                                 : 0;
}

static int64_t next_deadline(const struct sim_supervisor *s) {
    int64_t deadlines[] = {s->kill_deadline_ms,
                           s->restart_deadline_ms,
                           s->release_deadline_ms[0],
                           s->release_deadline_ms[1],
                           s->identity_check_deadline_ms,
                           device_deadline(s, s->power_on_device_ms),
                           device_deadline(s, s->identity_check_device_ms),
                           sim_update_agent_deadline(s->device->update)};
    int64_t nearest = 0;
    for (size_t i = 0; i < sizeof(deadlines) / sizeof(deadlines[0]); i++) {
        if (deadlines[i] != 0 && (nearest == 0 || deadlines[i] < nearest)) {
            nearest = deadlines[i];
        }
    }
    return nearest;
}

static void run_due_deadlines(struct sim_supervisor *s) {
    int64_t now = sim_clock_monotonic_ms();
    int64_t device_now = sim_clock_device_ms(&s->device->clock);
    if (s->kill_deadline_ms != 0 && now >= s->kill_deadline_ms) {
        s->kill_deadline_ms = 0;
        if (s->state == SIM_APP_STOPPING) {
            sim_device_log_os(device_log(s),
                              "the app did not exit within %d ms of SIGTERM: sending SIGKILL",
                              SIM_TERMINATION_GRACE_MS);
            s->sigkill_sent = true;
            kill(s->app.pid, SIGKILL);
        }
    }
    if (s->restart_deadline_ms != 0 && now >= s->restart_deadline_ms) {
        s->restart_deadline_ms = 0;
        if (s->state == SIM_APP_WAITING) {
            sim_device_log_os(device_log(s), "restarting the app (restart %u)", s->restarts);
            start_app(s);
        }
    }
    if (s->power_on_device_ms != 0 && device_now >= s->power_on_device_ms) {
        s->power_on_device_ms = 0;
        sim_supervisor_power_on(s);
    }
    for (int i = 0; i < 2; i++) {
        if (s->release_deadline_ms[i] != 0 && now >= s->release_deadline_ms[i]) {
            s->release_deadline_ms[i] = 0;
            sim_board_button(&s->device->board, (char)('A' + i), false);
        }
    }
    if ((s->identity_check_deadline_ms != 0 && now >= s->identity_check_deadline_ms) ||
        (s->identity_check_device_ms != 0 && device_now >= s->identity_check_device_ms)) {
        sim_supervisor_ensure_identity(s);
    }
    apply_update_action(s, sim_update_agent_run_due(s->device->update));
}

static void dispatch(struct sim_supervisor *s, uint64_t data) {
    enum watch_kind kind = (enum watch_kind)(data >> 32);
    uint32_t index = (uint32_t)data;
    switch (kind) {
        case WATCH_SIGNAL:
            serve_signals(s);
            break;
        case WATCH_BUS:
            if (s->state == SIM_APP_RUNNING || s->state == SIM_APP_STOPPING) {
                serve_bus(s);
            }
            break;
        case WATCH_OUTPUT:
            if (s->state == SIM_APP_RUNNING || s->state == SIM_APP_STOPPING) {
                serve_output(s);
            }
            break;
        case WATCH_CHANNEL:
            if (!sim_board_channel_serve(&s->device->board, (int)index)) {
                sync_channel_watches(s);
            }
            break;
        case WATCH_CTL:
            accept_clients(s);
            break;
        case WATCH_CLIENT:
            if (index < SIM_CTL_MAX_CLIENTS && s->clients[index].fd >= 0) {
                serve_client(s, index);
            }
            break;
        case WATCH_UPDATE:
            apply_update_action(s, sim_update_agent_serve(s->device->update));
            break;
        case WATCH_PROXY:
            sim_device_proxy_serve(s->device);
            break;
    }
}

static int setup(struct sim_supervisor *s, const char *ctl_path) {
    char err[512];
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->epoll_fd < 0 || s->signal_fd < 0) {
        sim_device_log_os(device_log(s), "cannot set up the OS loop: %s", strerror(errno));
        return -1;
    }
    watch(s, s->signal_fd, WATCH_SIGNAL, 0);
    s->ctl_fd = sim_ctl_listen(ctl_path, err, sizeof(err));
    if (s->ctl_fd < 0) {
        sim_device_log_os(device_log(s), "%s", err);
        fprintf(stderr, "spheresim: run: %s\n", err);
        return -1;
    }
    watch(s, s->ctl_fd, WATCH_CTL, 0);
    if (sim_update_agent_fd(s->device->update) >= 0) {
        watch(s, sim_update_agent_fd(s->device->update), WATCH_UPDATE, 0);
    }
    if (sim_device_proxy_fd(s->device) >= 0) {
        watch(s, sim_device_proxy_fd(s->device), WATCH_PROXY, 0);
    }
    if (sim_clock_share(&s->device->clock, err, sizeof(err)) != SIM_CLOCK_OK) {
        sim_device_log_os(device_log(s), "%s: the app will see the host's clock", err);
    }
    if (sim_fault_page_share(&s->device->faults, err, sizeof(err)) != SIM_FAULT_PAGE_OK) {
        sim_device_log_os(device_log(s), "%s: storage and memory faults will not reach the app",
                          err);
    }
    return 0;
}

static void teardown(struct sim_supervisor *s, const char *ctl_path) {
    for (size_t i = 0; i < SIM_CTL_MAX_CLIENTS; i++) {
        if (s->clients[i].fd >= 0) {
            close(s->clients[i].fd);
        }
    }
    if (s->ctl_fd >= 0) {
        close(s->ctl_fd);
        unlink(ctl_path);
    }
    sim_board_release_all(&s->device->board);
    sim_clock_unshare(&s->device->clock);
    sim_fault_page_unshare(&s->device->faults);
    if (s->signal_fd >= 0) {
        close(s->signal_fd);
    }
    if (s->epoll_fd >= 0) {
        close(s->epoll_fd);
    }
}

int sim_supervisor_run(struct sim_supervisor *s, struct sim_device *device, bool once,
                       const char *ctl_path) {
    memset(s, 0, sizeof(*s));
    s->device = device;
    s->once = once;
    s->epoll_fd = s->signal_fd = s->ctl_fd = -1;
    for (size_t i = 0; i < SIM_CTL_MAX_CLIENTS; i++) {
        s->clients[i].fd = -1;
    }
    for (int slot = 0; slot < SIM_BOARD_CHANNEL_SLOTS; slot++) {
        s->channel_watched[slot] = -1;
    }
    if (setup(s, ctl_path) != 0) {
        teardown(s, ctl_path);
        return 1;
    }
    boot(s);
    while (!s->finished) {
        int64_t deadline = next_deadline(s);
        int timeout = -1;
        if (deadline != 0) {
            int64_t wait = deadline - sim_clock_monotonic_ms();
            timeout = wait < 0 ? 0 : (int)(wait > 60000 ? 60000 : wait);
        }
        struct epoll_event events[16];
        int n = epoll_wait(s->epoll_fd, events, 16, timeout);
        for (int i = 0; i < n && !s->finished; i++) {
            dispatch(s, events[i].data.u64);
        }
        run_due_deadlines(s);
    }
    teardown(s, ctl_path);
    return s->exit_status;
}

void sim_supervisor_reboot(struct sim_supervisor *s) {
    sim_device_log_os(device_log(s), "reboot requested");
    sim_failure_event_record(s->device, SIM_EVENT_PLANNED, SIM_EVENT_CLASS_OS,
                             "DeviceReboot (requested_by=device_control)");
    if (s->state == SIM_APP_POWERED_OFF) {
        sim_supervisor_power_on(s);
        return;
    }
    stop_app(s, SIM_AFTER_REBOOT);
}

void sim_supervisor_power_off(struct sim_supervisor *s) {
    sim_device_log_os(device_log(s), "power cut");
    sim_update_agent_power_cut(s->device->update);
    if (s->state == SIM_APP_RUNNING || s->state == SIM_APP_STOPPING) {
        // No SIGTERM: the power is simply gone.
        s->after_exit = SIM_AFTER_POWER_CUT;
        s->state = SIM_APP_STOPPING;
        kill(s->app.pid, SIGKILL);
        return;
    }
    s->restart_deadline_ms = 0;
    sim_board_reset(&s->device->board);
    sync_channel_watches(s);
    s->state = SIM_APP_POWERED_OFF;
}

void sim_supervisor_power_on(struct sim_supervisor *s) {
    if (s->state != SIM_APP_POWERED_OFF) {
        return;
    }
    s->power_on_device_ms = 0;
    sim_device_log_os(device_log(s), "power on");
    boot(s);
}

// An NTP exchange: the clock goes to network time, unless the time server does not answer.
static void sync_time(struct sim_supervisor *s) {
    struct sim_network *net = &s->device->network;
    if (net->time_server_down) {
        sim_device_log_os(device_log(s), "time not synced: the time server does not answer");
        return;
    }
    struct sim_clock *clock = &s->device->clock;
    int64_t error_ms = sim_clock_now_ms(clock) - sim_clock_network_ms(clock);
    bool was = net->time_synced;
    net->time_synced = true;
    sim_clock_sync(clock);
    if (error_ms != 0) {
        char error[48];
        sim_clock_format_duration(error_ms, error, sizeof(error));
        sim_device_log_os(device_log(s), "clock synced (it was %s off)", error);
    } else if (!was) {
        sim_device_log_os(device_log(s), "clock synced");
    }
}

void sim_supervisor_set_link(struct sim_supervisor *s, bool up, enum sim_net_down_mode mode) {
    struct sim_network *net = &s->device->network;
    if (net->link_up == up) {
        return;
    }
    net->link_up = up;
    sim_device_log_os(device_log(s), "network %s%s", up ? "up" : "down",
                      !up && mode == SIM_NET_DOWN_STALL ? " (open connections stall)" : "");
    sim_device_proxy_link(s->device, up, mode);
    if (up) {
        // Every time the link comes up, the device's NTP client sets the clock to network time.
        sync_time(s);
        sim_supervisor_ensure_identity(s);
    }
    apply_update_action(s, sim_update_agent_network(s->device->update, up));
}

void sim_supervisor_set_time_sync(struct sim_supervisor *s, bool server_answers) {
    struct sim_network *net = &s->device->network;
    net->time_server_down = !server_answers;
    if (!server_answers) {
        // The clock runs on from where it is; only the synced state is lost.
        bool was = net->time_synced;
        net->time_synced = false;
        sim_device_log_os(device_log(s), "fault: time server not answering, time %s",
                          was ? "no longer synced" : "still not synced");
        return;
    }
    sim_device_log_os(device_log(s), "time server answering again%s",
                      net->link_up ? "" : " (syncs when the network is up)");
    if (net->link_up) {
        sync_time(s);
        sim_supervisor_ensure_identity(s);
    }
}

void sim_supervisor_clock_changed(struct sim_supervisor *s, const char *what) {
    sim_device_log_os(device_log(s), "clock %s", what);
    // A device that is off checks its certificate when it boots.
    if (s->state != SIM_APP_POWERED_OFF) {
        sim_supervisor_ensure_identity(s);
    }
}

int sim_supervisor_click(struct sim_supervisor *s, char button) {
    int err = sim_board_button(&s->device->board, button, true);
    if (err == 0) {
        s->release_deadline_ms[button - 'A'] = sim_clock_monotonic_ms() + CLICK_MS;
    }
    return err;
}
