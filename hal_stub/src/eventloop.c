// SPDX-License-Identifier: MIT
// applibs EventLoop for the Linux backend, built on a level-triggered epoll set. The epoll
// descriptor doubles as the loop's wait descriptor. EventLoop_Stop, the one call allowed from
// other threads, sets an atomic flag and signals an internal eventfd that sits in the same epoll
// set, so a blocked EventLoop_Run wakes up.
//
// Callbacks may unregister any registration, including ones whose events are already in the
// batch returned by epoll_wait. Such registrations are marked dead and parked until the batch
// is finished, so the loop never touches freed memory and never calls a removed callback.
#include <applibs/eventloop.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "heap_accounting.h"

enum {
    // Events taken from the kernel per epoll_wait; more stay queued for the next call.
    MAX_BATCH = 32,
};

static const EventLoop_IoEvents valid_io_events =
    EventLoop_Input | EventLoop_Output | EventLoop_Error;

struct EventRegistration {
    int fd;
    EventLoop_IoEvents events;
    EventLoopIoCallback *callback;
    void *context;
    bool dead;
    // Live registrations form a doubly linked list; dead ones awaiting release reuse `next`.
    struct EventRegistration *prev;
    struct EventRegistration *next;
};

struct EventLoop {
    int epoll_fd;
    int wake_fd;
    // Set by EventLoop_Stop (any thread); consumed by EventLoop_Run. A stop that arrives while
    // no run is active makes the next run return at once, so a wake-up is never lost.
    atomic_bool stop_requested;
    bool running;
    bool dispatching;
    struct EventRegistration *live;
    struct EventRegistration *graveyard;
};

static uint32_t to_epoll(EventLoop_IoEvents events) {
    uint32_t mask = 0;
    if (events & EventLoop_Input) {
        mask |= EPOLLIN;
    }
    if (events & EventLoop_Output) {
        mask |= EPOLLOUT;
    }
    // EPOLLERR and EPOLLHUP are always reported by the kernel, which gives the SDK's "errors are
    // always delivered" behaviour for free.
    return mask;
}

static EventLoop_IoEvents from_epoll(uint32_t mask) {
    EventLoop_IoEvents events = 0;
    if (mask & EPOLLIN) {
        events |= EventLoop_Input;
    }
    if (mask & EPOLLOUT) {
        events |= EventLoop_Output;
    }
    if (mask & (EPOLLERR | EPOLLHUP)) {
        events |= EventLoop_Error;
    }
    return events;
}

static void drain_wake_fd(EventLoop *el) {
    uint64_t count;
    // Non-blocking: nothing to read simply means another consumer got there first.
    while (read(el->wake_fd, &count, sizeof(count)) < 0 && errno == EINTR) {
    }
}

static void release_graveyard(EventLoop *el) {
    struct EventRegistration *reg = el->graveyard;
    el->graveyard = NULL;
    while (reg != NULL) {
        struct EventRegistration *next = reg->next;
        free(reg);
        reg = next;
    }
}

static int64_t monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

EventLoop *EventLoop_Create(void) {
    EventLoop *el = calloc(1, sizeof(*el));
    if (el == NULL) {
        return NULL;
    }
    el->epoll_fd = -1;
    el->wake_fd = -1;
    atomic_init(&el->stop_requested, false);

    el->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (el->epoll_fd < 0) {
        goto fail;
    }
    el->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (el->wake_fd < 0) {
        goto fail;
    }
    // The loop itself is the marker for wake-ups; registrations never have that address.
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = el};
    if (epoll_ctl(el->epoll_fd, EPOLL_CTL_ADD, el->wake_fd, &ev) < 0) {
        goto fail;
    }
    return el;

fail:;
    int saved = errno;
    if (el->wake_fd >= 0) {
        close(el->wake_fd);
    }
    if (el->epoll_fd >= 0) {
        close(el->epoll_fd);
    }
    free(el);
    errno = saved;
    return NULL;
}

void EventLoop_Close(EventLoop *el) {
    if (el == NULL) {
        return;
    }
    struct EventRegistration *reg = el->live;
    while (reg != NULL) {
        struct EventRegistration *next = reg->next;
        free(reg);
        reg = next;
    }
    release_graveyard(el);
    close(el->wake_fd);
    close(el->epoll_fd);
    free(el);
}

int EventLoop_GetWaitDescriptor(EventLoop *el) {
    if (el == NULL) {
        errno = EFAULT;
        return -1;
    }
    return el->epoll_fd;
}

int EventLoop_Stop(EventLoop *el) {
    if (el == NULL) {
        errno = EFAULT;
        return -1;
    }
    atomic_store(&el->stop_requested, true);
    const uint64_t one = 1;
    // Only the wake-up matters; if the counter is somehow saturated a wake-up is pending anyway.
    while (write(el->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
    return 0;
}

// Dispatches one epoll batch. Returns how many callbacks ran; sets *stopped when a stop request
// ended the batch early.
static int dispatch_batch(EventLoop *el, const struct epoll_event *evs, int n, bool one_event,
                          bool *stopped) {
    int dispatched = 0;
    el->dispatching = true;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.ptr == el) {
            drain_wake_fd(el);
            continue;
        }
        if (atomic_load(&el->stop_requested)) {
            *stopped = true;
            break;
        }
        struct EventRegistration *reg = evs[i].data.ptr;
        if (reg->dead) {
            continue;
        }
        // A callback earlier in this batch may have narrowed the mask; honour the new one.
        EventLoop_IoEvents fired = from_epoll(evs[i].events) & (reg->events | EventLoop_Error);
        if (fired == 0) {
            continue;
        }
        reg->callback(el, reg->fd, fired, reg->context);
        dispatched++;
        if (one_event) {
            break;
        }
    }
    el->dispatching = false;
    release_graveyard(el);
    if (atomic_load(&el->stop_requested)) {
        *stopped = true;
    }
    return dispatched;
}

EventLoop_Run_Result EventLoop_Run(EventLoop *el, int duration_in_milliseconds,
                                   bool process_one_event) {
    if (el == NULL) {
        errno = EFAULT;
        return EventLoop_Run_Failed;
    }
    if (el->running) {
        errno = EBUSY;
        return EventLoop_Run_Failed;
    }
    el->running = true;
    halstub_heap_publish();

    const bool poll_only = duration_in_milliseconds == 0;
    const bool one_event = poll_only || process_one_event;
    const int64_t deadline =
        duration_in_milliseconds > 0 ? monotonic_ms() + duration_in_milliseconds : 0;
    EventLoop_Run_Result result = EventLoop_Run_FinishedEmpty;
    bool stopped = false;

    while (!stopped && !atomic_load(&el->stop_requested)) {
        int timeout = -1;
        if (poll_only) {
            timeout = 0;
        } else if (duration_in_milliseconds > 0) {
            int64_t remaining = deadline - monotonic_ms();
            timeout = remaining > 0 ? (int)remaining : 0;
        }

        struct epoll_event evs[MAX_BATCH];
        int n = epoll_wait(el->epoll_fd, evs, one_event ? 1 : MAX_BATCH, timeout);
        if (n < 0) {
            // EINTR included: the samples' main loops rely on it to notice SIGTERM promptly.
            int saved = errno;
            el->running = false;
            errno = saved;
            return EventLoop_Run_Failed;
        }

        if (dispatch_batch(el, evs, n, one_event, &stopped) > 0) {
            result = EventLoop_Run_Finished;
            if (one_event) {
                break;
            }
        }
        if (poll_only) {
            break;
        }
        if (duration_in_milliseconds > 0 && monotonic_ms() >= deadline) {
            break;
        }
    }

    // Consume the stop request so the next run starts afresh.
    if (atomic_exchange(&el->stop_requested, false)) {
        drain_wake_fd(el);
    }
    el->running = false;
    return result;
}

EventRegistration *EventLoop_RegisterIo(EventLoop *el, int fd, EventLoop_IoEvents eventBitmask,
                                        EventLoopIoCallback *callback, void *context) {
    if (el == NULL || callback == NULL) {
        errno = EFAULT;
        return NULL;
    }
    if ((eventBitmask & ~valid_io_events) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        errno = EBADF;
        return NULL;
    }
    for (struct EventRegistration *r = el->live; r != NULL; r = r->next) {
        if (r->fd == fd) {
            errno = EEXIST;
            return NULL;
        }
    }

    struct EventRegistration *reg = calloc(1, sizeof(*reg));
    if (reg == NULL) {
        return NULL;
    }
    reg->fd = fd;
    reg->events = eventBitmask;
    reg->callback = callback;
    reg->context = context;

    struct epoll_event ev = {.events = to_epoll(eventBitmask), .data.ptr = reg};
    if (epoll_ctl(el->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int saved = errno;
        free(reg);
        errno = saved;
        return NULL;
    }

    reg->next = el->live;
    if (el->live != NULL) {
        el->live->prev = reg;
    }
    el->live = reg;
    return reg;
}

int EventLoop_ModifyIoEvents(EventLoop *el, EventRegistration *reg,
                             EventLoop_IoEvents eventBitmask) {
    if (el == NULL || reg == NULL) {
        errno = EFAULT;
        return -1;
    }
    if ((eventBitmask & ~valid_io_events) != 0 || reg->dead) {
        errno = EINVAL;
        return -1;
    }
    struct epoll_event ev = {.events = to_epoll(eventBitmask), .data.ptr = reg};
    if (epoll_ctl(el->epoll_fd, EPOLL_CTL_MOD, reg->fd, &ev) < 0) {
        return -1;
    }
    reg->events = eventBitmask;
    return 0;
}

int EventLoop_UnregisterIo(EventLoop *el, EventRegistration *reg) {
    if (reg == NULL) {
        return 0;
    }
    if (el == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (reg->dead) {
        return 0;
    }
    // Fails harmlessly when the app already closed the descriptor: the kernel has then dropped
    // it from the set itself. That order is undefined on the device but common in real code.
    int saved = errno;
    (void)epoll_ctl(el->epoll_fd, EPOLL_CTL_DEL, reg->fd, NULL);
    errno = saved;

    if (reg->prev != NULL) {
        reg->prev->next = reg->next;
    } else {
        el->live = reg->next;
    }
    if (reg->next != NULL) {
        reg->next->prev = reg->prev;
    }
    reg->dead = true;
    reg->prev = NULL;
    if (el->dispatching) {
        // The current epoll batch may still hold this pointer; free it once the batch is done.
        reg->next = el->graveyard;
        el->graveyard = reg;
    } else {
        free(reg);
    }
    return 0;
}
