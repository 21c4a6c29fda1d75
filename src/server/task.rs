//! Runs the fetch handler's future (and the work its answer leaves for
//! after it has left): polled at once when the request comes, and again
//! when a promise it awaits settles, in the promise's own callback.
//!
//! `#[event(fetch)]` ran it through wasm-bindgen-futures instead: a
//! `Promise` built around the future, its first poll queued as a microtask,
//! and for each awaited promise a `JsFuture` with two closures (each
//! registered with a `FinalizationRegistry`) whose callback queues another
//! microtask to poll. That machinery was about a tenth of the Worker's own
//! work on a `GET` (BENCHMARKS.md, "Where the time goes").
//!
//! Here a promise awaited through [`settled`] is handed to JavaScript with
//! the task and a slot for its outcome ([`js::task_await`]); its callback
//! calls one long-lived closure, [`resume`], which fills the slot and polls
//! the task. The answer is the handler's `Response` itself when nothing had
//! to be awaited, else a promise that [`js::task_answer`] made and that the
//! last callback settles. Futures that wake the task some other way (a
//! `JsFuture` of `worker`'s) get a microtask that polls it
//! ([`js::task_wake`]). The Worker's fetch handler, the work after its
//! answer and the tree's Durable Object run as tasks (src/server/mod.rs,
//! src/server/tree.rs).

use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, RawWaker, RawWakerVTable, Waker},
};

use worker::{
    js_sys::Promise,
    wasm_bindgen::{closure::Closure, JsValue},
};

use super::js;

type Handler = Pin<Box<dyn Future<Output = JsValue>>>;

/// One request's handler and whether it must be polled again.
struct Task {
    /// None once it has answered.
    handler: RefCell<Option<Handler>>,
    /// Woken since it was last polled.
    woken: Cell<bool>,
    /// Being polled: a wake then needs no microtask.
    polling: Cell<bool>,
    /// A microtask will poll it.
    scheduled: Cell<bool>,
}

/// Where an awaited promise's outcome goes, and who waits for it.
#[derive(Default)]
struct Slot {
    outcome: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
}

impl Slot {
    fn take(&self) -> Option<Result<JsValue, JsValue>> {
        self.outcome.borrow_mut().take()
    }
}

thread_local! {
    /// The task being polled, for [`settled`].
    static CURRENT: RefCell<Option<Rc<Task>>> = const { RefCell::new(None) };
    /// [`resume`] as a JavaScript function, made once per isolate.
    static RESUME: JsValue = Closure::<dyn FnMut(usize, usize, JsValue, bool) -> JsValue>::new(resume).into_js_value();
}

/// Runs `handler` until it answers or waits: its answer, or a promise of it.
pub fn run(handler: impl Future<Output = JsValue> + 'static) -> JsValue {
    let task = Rc::new(Task {
        handler: RefCell::new(Some(Box::pin(handler))),
        woken: Cell::new(true),
        polling: Cell::new(false),
        scheduled: Cell::new(false),
    });
    match poll_while_woken(&task) {
        Some(answer) => answer,
        None => js::task_answer(Rc::as_ptr(&task) as usize),
    }
}

/// Called back by JavaScript with a task (and a strong count of it) once the
/// promise for `slot` settled (its strong count too), or with slot 0 for a
/// wake: the handler's answer if it answered now, else undefined. An
/// answer of undefined (work that answers nothing: an alarm, a last-use
/// note) goes as null, or its promise would wait for ever.
fn resume(task: usize, slot: usize, value: JsValue, fulfilled: bool) -> JsValue {
    // SAFETY: each pointer was made by `Rc::into_raw` for exactly this call.
    let task = unsafe { Rc::from_raw(task as *const Task) };
    if slot == 0 {
        task.scheduled.set(false);
    } else {
        let slot = unsafe { Rc::from_raw(slot as *const Slot) };
        *slot.outcome.borrow_mut() = Some(if fulfilled { Ok(value) } else { Err(value) });
        // Polling already, so that this wake queues nothing.
        task.polling.set(true);
        let waker = slot.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
    match poll_while_woken(&task) {
        Some(answer) if answer.is_undefined() => JsValue::NULL,
        Some(answer) => answer,
        None => JsValue::UNDEFINED,
    }
}

/// Polls the task as long as something woke it: its answer once it has one.
fn poll_while_woken(task: &Rc<Task>) -> Option<JsValue> {
    task.polling.set(true);
    let waker = waker(task);
    let mut answer = None;
    while task.woken.replace(false) {
        let mut handler = task.handler.borrow_mut();
        let Some(future) = handler.as_mut() else { break };
        // A task started while another is polled (the work after an answer) hands it back.
        let outer = CURRENT.with(|current| current.replace(Some(task.clone())));
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        CURRENT.with(|current| current.replace(outer));
        if let Poll::Ready(value) = poll {
            *handler = None;
            answer = Some(value);
            break;
        }
    }
    task.polling.set(false);
    answer
}

/// Awaits `promise`: its value, or what it was rejected with (an error
/// outside a task: nothing would poll it again).
pub fn settled(promise: Promise) -> Settled {
    Settled(State::Start(promise))
}

/// The future of [`settled`].
pub struct Settled(State);

enum State {
    Start(Promise),
    Waiting(Rc<Slot>),
    Done,
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut self.0;
        match this {
            State::Start(promise) => {
                let Some(task) = CURRENT.with(|current| current.borrow().clone()) else {
                    *this = State::Done;
                    return Poll::Ready(Err(JsValue::from_str("a promise awaited outside a task")));
                };
                let slot = Rc::new(Slot::default());
                *slot.waker.borrow_mut() = Some(cx.waker().clone());
                let (task, slot_ptr) = (Rc::into_raw(task) as usize, Rc::into_raw(slot.clone()) as usize);
                RESUME.with(|resume| js::task_await(promise, task, slot_ptr, resume));
                *this = State::Waiting(slot);
                Poll::Pending
            }
            State::Waiting(slot) => match slot.take() {
                Some(outcome) => {
                    *this = State::Done;
                    Poll::Ready(outcome)
                }
                None => {
                    *slot.waker.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            },
            State::Done => panic!("settled polled after it was ready"),
        }
    }
}

/// A waker of `task`: marks it woken, and unless it is being polled or about
/// to be, queues a microtask to poll it.
fn waker(task: &Rc<Task>) -> Waker {
    // SAFETY: the data pointer is always an `Rc<Task>` from `Rc::into_raw`,
    // and the Worker has one thread.
    unsafe { Waker::from_raw(raw_waker(Rc::into_raw(task.clone()))) }
}

fn raw_waker(task: *const Task) -> RawWaker {
    RawWaker::new(task.cast(), &VTABLE)
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

unsafe fn clone_waker(task: *const ()) -> RawWaker {
    Rc::increment_strong_count(task.cast::<Task>());
    raw_waker(task.cast())
}

unsafe fn wake(task: *const ()) {
    wake_by_ref(task);
    drop_waker(task);
}

unsafe fn wake_by_ref(task: *const ()) {
    let task = &*task.cast::<Task>();
    task.woken.set(true);
    if !task.polling.get() && !task.scheduled.replace(true) {
        Rc::increment_strong_count(task);
        RESUME.with(|resume| js::task_wake(task as *const Task as usize, resume));
    }
}

unsafe fn drop_waker(task: *const ()) {
    drop(Rc::from_raw(task.cast::<Task>()));
}
