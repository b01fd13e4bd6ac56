# Independent reference for tests/integration/test_design_matchit.py. Run from this folder:
#   Rscript matchit_reference.R > matchit_reference_output.txt
# Prints (1) the glm propensity coefficients, (2) MatchIt nearest-neighbour pairs.
# MatchIt 4.5.1 (Debian) has the integer abs() defect (MatchIt issue #163): a gap below 1 is
# truncated to 0. So the reference runs match on distance = 1e6 x logit(PS): identical ordering
# and the same caliper in SD units (the SD scales too), but gaps are now >> 1 and truncation only
# loses differences below 1e-6 on the logit scale. A run on the plain logit shows the defect.
suppressPackageStartupMessages(library(MatchIt))
options(digits = 15)
d <- read.csv("lalonde_like.csv")
cat("R:", R.version.string, "\n")
cat("MatchIt:", as.character(packageVersion("MatchIt")), "\n")
f <- treated ~ age + educ + black + married + re74 + re75
fit <- glm(f, data = d, family = binomial())
cat("## coefficients\n")
co <- coef(fit)
for (k in names(co)) cat(sprintf("%s,%.12e\n", k, co[[k]]))
lp <- predict(fit, type = "link")
cat(sprintf("## sd_logit,%.12e\n", sd(lp)))

print_pairs <- function(m, label) {
  mm <- m$match.matrix
  cat("##", label, "\n")
  cat(sprintf("## caliper,%.12e\n", m$caliper))
  for (i in seq_len(nrow(mm))) {
    tid <- d$id[as.integer(rownames(mm)[i])]
    for (j in seq_len(ncol(mm))) {
      cid <- if (is.na(mm[i, j])) NA else d$id[as.integer(mm[i, j])]
      cat(sprintf("%d,%d,%s\n", j, tid, ifelse(is.na(cid), "NA", as.character(cid))))
    }
  }
}
scaled <- 1e6 * lp
m1 <- matchit(f, data = d, distance = scaled, method = "nearest", replace = FALSE,
              caliper = 0.2, std.caliper = TRUE, m.order = "largest", ratio = 1)
print_pairs(m1, "pairs scaled_logit ratio1 caliper0.2 largest noreplace")
m2 <- matchit(f, data = d, distance = scaled, method = "nearest", replace = FALSE,
              caliper = 0.2, std.caliper = TRUE, m.order = "largest", ratio = 2)
print_pairs(m2, "pairs scaled_logit ratio2 caliper0.2 largest noreplace")
# the defective run: plain logit distance (gaps < 1), everything else the same
m3 <- matchit(f, data = d, distance = "glm", link = "linear.logit", method = "nearest",
              replace = FALSE, caliper = 0.2, std.caliper = TRUE, m.order = "largest", ratio = 1)
print_pairs(m3, "pairs plain_logit ratio1 caliper0.2 largest noreplace (DEFECTIVE)")
cat("## end\n")
