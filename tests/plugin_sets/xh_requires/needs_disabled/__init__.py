__requires__ = ["sidekick"]
