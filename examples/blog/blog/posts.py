"""The pages: the list of posts, one post, writing, editing, deleting."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .extensions import db
from .forms import ConfirmForm, PostForm
from .models import Post, utcnow

bp = Blueprint("blog", __name__)


def get_post(post_id: int, *, mine: bool = False) -> Post:
    """Return the post, or answer 404; with ``mine``, 403 unless it is the user's."""
    post = db.get_or_404(Post, post_id, description=f"There is no post {post_id}.")
    if mine and post.author_id != current_user.id:
        abort(403, description="Only the author of a post may change or delete it.")
    return post


@bp.route("/")
def index() -> ResponseReturnValue:
    page = db.paginate(
        Post.newest_first(),
        per_page=current_app.config["POSTS_PER_PAGE"],
        max_per_page=current_app.config["POSTS_PER_PAGE"],
    )
    return render_template("blog/index.html", page=page)


@bp.route("/posts/<int:post_id>")
def detail(post_id: int) -> ResponseReturnValue:
    return render_template("blog/detail.html", post=get_post(post_id), form=ConfirmForm())


@bp.route("/posts/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    form = PostForm()
    if form.validate_on_submit():
        post = Post(title=form.title.data, body=form.body.data, author=current_user)
        db.session.add(post)
        db.session.commit()
        flash("Published.", "success")
        return redirect(url_for("blog.detail", post_id=post.id))
    return render_template("blog/form.html", form=form, post=None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> ResponseReturnValue:
    post = get_post(post_id, mine=True)
    form = PostForm(obj=post)
    if form.validate_on_submit():
        post.title, post.body = form.title.data, form.body.data
        post.updated_at = utcnow()
        db.session.commit()
        flash("Saved.", "success")
        return redirect(url_for("blog.detail", post_id=post.id))
    return render_template("blog/form.html", form=form, post=post)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> ResponseReturnValue:
    post = get_post(post_id, mine=True)
    db.session.delete(post)
    db.session.commit()
    flash(f"Deleted “{post.title}”.", "success")
    return redirect(url_for("blog.index"))
