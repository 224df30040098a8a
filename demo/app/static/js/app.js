// The μblog front page script (a stand-in for the real bundle).
console.log("ublog");
