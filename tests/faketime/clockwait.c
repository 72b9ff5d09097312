/* Deadline fix for libfaketime 0.9.10 under Python 3.11 (see docs/architecture.md, "Languages and time").
 *
 * libfaketime fakes CLOCK_MONOTONIC but does not wrap sem_clockwait(3) and
 * pthread_cond_clockwait(3), the calls glibc >= 2.30 offers for waits against
 * a chosen clock. Python's lock.acquire(timeout=...) computes its deadline
 * from the faked clock and hands it to sem_clockwait, which the kernel reads
 * against the real clock: a deadline 400 days out, so every timed wait
 * hangs. This library, preloaded ahead of libfaketime, moves such deadlines
 * back onto the real clock before the wait.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct timespec real_deadline(clockid_t clock, const struct timespec *abstime) {
    struct timespec faked, real, out;
    clock_gettime(clock, &faked);                /* libfaketime's view */
    syscall(SYS_clock_gettime, clock, &real);    /* the kernel's view */
    long long ns = (abstime->tv_sec - faked.tv_sec) * 1000000000LL
                 + (abstime->tv_nsec - faked.tv_nsec);      /* time left */
    if (ns < 0) ns = 0;
    ns += real.tv_nsec;
    out.tv_sec = real.tv_sec + ns / 1000000000LL;
    out.tv_nsec = ns % 1000000000LL;
    return out;
}

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    static int (*next)(sem_t *, clockid_t, const struct timespec *);
    if (!next) next = dlsym(RTLD_NEXT, "sem_clockwait");
    struct timespec t = real_deadline(clock, abstime);
    return next(sem, clock, &t);
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                           const struct timespec *abstime) {
    static int (*next)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
    if (!next) next = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
    struct timespec t = real_deadline(clock, abstime);
    return next(cond, mutex, clock, &t);
}

int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *abstime) {
    static int (*next)(pthread_mutex_t *, clockid_t, const struct timespec *);
    if (!next) next = dlsym(RTLD_NEXT, "pthread_mutex_clocklock");
    struct timespec t = real_deadline(clock, abstime);
    return next(mutex, clock, &t);
}
