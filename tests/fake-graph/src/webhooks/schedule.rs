//! What status webhooks follow a send, stated as data (§7 items 14 and 15).
//!
//! A [`StatusSchedule`] is a list of [`Post`]s. Each post is one HTTP POST
//! holding one or more statuses laid out as one change, one change each or one
//! entry each; it can be repeated byte for byte. Posts go one after the other
//! (each waits for the receiver's final answer, redeliveries included) or all
//! at once, and the first can be made to land before the send is answered.

/// One status value of `statuses[].status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Sent,
    Delivered,
    Read,
    Played,
    /// `failed` carrying `errors[{code,..}]`.
    Failed(u32),
}

/// How the statuses of one post are spread over `entry[]`/`changes[]`/`statuses[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One entry, one change, all statuses in its `statuses[]`.
    #[default]
    OneChange,
    /// One entry with a change per status.
    ChangePerStatus,
    /// An entry per status.
    EntryPerStatus,
}

/// One webhook POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub statuses: Vec<StatusKind>,
    pub layout: Layout,
    /// How many times the exact same bytes are posted (2 = one duplicate).
    pub copies: u32,
}

impl Post {
    pub fn of(statuses: &[StatusKind]) -> Self {
        Self {
            statuses: statuses.to_vec(),
            layout: Layout::OneChange,
            copies: 1,
        }
    }

    pub fn laid_out(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    pub fn copies(mut self, copies: u32) -> Self {
        self.copies = copies.max(1);
        self
    }
}

/// The whole sequence of status posts for one message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusSchedule {
    pub posts: Vec<Post>,
    /// Post everything at once instead of one after the other (15f).
    pub concurrent: bool,
    /// Deliver the first post before answering the send request (15g).
    pub first_before_answer: bool,
}

impl StatusSchedule {
    /// No automatic statuses; tests call `emit_statuses` themselves.
    pub fn none() -> Self {
        Self::default()
    }

    /// One post per status, in the given order.
    pub fn steps(statuses: &[StatusKind]) -> Self {
        let posts = statuses
            .iter()
            .map(|s| Post::of(std::slice::from_ref(s)))
            .collect();
        Self {
            posts,
            ..Self::default()
        }
    }

    /// sent → delivered → read (14).
    pub fn normal() -> Self {
        Self::steps(&[StatusKind::Sent, StatusKind::Delivered, StatusKind::Read])
    }

    /// sent → failed with `code` (14).
    pub fn failed(code: u32) -> Self {
        Self::steps(&[StatusKind::Sent, StatusKind::Failed(code)])
    }

    /// (a) delivered, then sent, then read.
    pub fn delivered_before_sent() -> Self {
        Self::steps(&[StatusKind::Delivered, StatusKind::Sent, StatusKind::Read])
    }

    /// (b) sent, read, then a late delivered.
    pub fn read_before_delivered() -> Self {
        Self::steps(&[StatusKind::Sent, StatusKind::Read, StatusKind::Delivered])
    }

    /// (b) sent then read; "the delivered webhook is not sent" (WS).
    pub fn read_without_delivered() -> Self {
        Self::steps(&[StatusKind::Sent, StatusKind::Read])
    }

    /// (h) sent, delivered, then failed.
    pub fn failed_after_delivered(code: u32) -> Self {
        Self::steps(&[
            StatusKind::Sent,
            StatusKind::Delivered,
            StatusKind::Failed(code),
        ])
    }

    /// (e) every status in a single POST.
    pub fn batched(statuses: &[StatusKind], layout: Layout) -> Self {
        Self {
            posts: vec![Post::of(statuses).laid_out(layout)],
            ..Self::default()
        }
    }

    /// (c) every post sent twice, the copy after the original was answered.
    pub fn duplicated(mut self) -> Self {
        self.posts.iter_mut().for_each(|post| post.copies = 2);
        self
    }

    /// (f) all posts at once.
    pub fn concurrently(mut self) -> Self {
        self.concurrent = true;
        self
    }

    /// (g) the first post lands before the send request is answered.
    pub fn first_before_answer(mut self) -> Self {
        self.first_before_answer = true;
        self
    }

    /// Appends a post.
    pub fn then(mut self, post: Post) -> Self {
        self.posts.push(post);
        self
    }
}
