// libnice and GLib, as seen from Swift. Only what Swift cannot import is defined here:
// GObject's variadic property setters and signal macros, and the GLib source helpers.
#ifndef SFU_CNICE_SHIM_H
#define SFU_CNICE_SHIM_H

#include <nice/agent.h>
#include <glib.h>
#include <glib-object.h>
#include <gio/gio.h>

// Agent properties that must be set on every agent (see Transport/ICE/ICEAgent.swift for why).
static inline void sfu_nice_agent_configure(NiceAgent *agent, gboolean controlling, guint max_checks,
                                            guint stun_pacing_ms) {
    // Debian's libnice is built with gupnp-igd: UPnP would send SSDP multicast off the machine.
    g_object_set(G_OBJECT(agent),
                 "upnp", FALSE,
                 "ice-tcp", FALSE,
                 "ice-udp", TRUE,
                 "controlling-mode", controlling,
                 "max-connectivity-checks", max_checks,
                 "stun-pacing-timer", stun_pacing_ms,
                 NULL);
}

static inline gboolean sfu_nice_agent_upnp(NiceAgent *agent) {
    gboolean upnp = TRUE;
    g_object_get(G_OBJECT(agent), "upnp", &upnp, NULL);
    return upnp;
}

static inline void sfu_nice_agent_set_keepalive_conncheck(NiceAgent *agent, gboolean value) {
    g_object_set(G_OBJECT(agent), "keepalive-conncheck", value, NULL);
}

static inline void sfu_nice_agent_set_idle_timeout(NiceAgent *agent, guint ms) {
    g_object_set(G_OBJECT(agent), "idle-timeout", ms, NULL);
}

typedef void (*sfu_candidate_cb)(NiceAgent *agent, NiceCandidate *candidate, gpointer user_data);
typedef void (*sfu_gathering_done_cb)(NiceAgent *agent, guint stream_id, gpointer user_data);
typedef void (*sfu_state_cb)(NiceAgent *agent, guint stream_id, guint component_id, guint state, gpointer user_data);
typedef void (*sfu_pair_cb)(NiceAgent *agent, guint stream_id, guint component_id,
                            NiceCandidate *lcand, NiceCandidate *rcand, gpointer user_data);

static inline gulong sfu_nice_on_new_candidate(NiceAgent *agent, sfu_candidate_cb cb, gpointer user_data) {
    return g_signal_connect(G_OBJECT(agent), "new-candidate-full", G_CALLBACK(cb), user_data);
}
static inline gulong sfu_nice_on_gathering_done(NiceAgent *agent, sfu_gathering_done_cb cb, gpointer user_data) {
    return g_signal_connect(G_OBJECT(agent), "candidate-gathering-done", G_CALLBACK(cb), user_data);
}
static inline gulong sfu_nice_on_state_changed(NiceAgent *agent, sfu_state_cb cb, gpointer user_data) {
    return g_signal_connect(G_OBJECT(agent), "component-state-changed", G_CALLBACK(cb), user_data);
}
static inline gulong sfu_nice_on_selected_pair(NiceAgent *agent, sfu_pair_cb cb, gpointer user_data) {
    return g_signal_connect(G_OBJECT(agent), "new-selected-pair-full", G_CALLBACK(cb), user_data);
}
static inline void sfu_signal_disconnect(gpointer instance, gulong handler) {
    g_signal_handler_disconnect(instance, handler);
}

// Runs `fn(data)` on `context`'s thread (once, when `fn` returns FALSE): the only way control work
// reaches a media worker. At `priority` (GLib's, lower runs first: G_PRIORITY_DEFAULT, as libnice's
// sockets and timers, or a larger number for work that should wait until nothing of theirs is
// ready), after `delay_ms` (0: as soon as nothing of a higher priority is ready); `notify(data)`
// when the source is gone, whether it ran or the context was destroyed first.
static inline void sfu_context_post(GMainContext *context, gint priority, guint delay_ms, GSourceFunc fn,
                                    gpointer data, GDestroyNotify notify) {
    GSource *source = delay_ms == 0 ? g_idle_source_new() : g_timeout_source_new(delay_ms);
    g_source_set_priority(source, priority);
    g_source_set_callback(source, fn, data, notify);
    g_source_attach(source, context);
    g_source_unref(source);
}

static inline gboolean sfu_g_false(void) { return FALSE; }
static inline gboolean sfu_g_true(void) { return TRUE; }

#endif
