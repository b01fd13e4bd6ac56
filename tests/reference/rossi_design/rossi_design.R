# Independent reference for the DESIGNED Rossi analysis of `evaluation design`
# (tests/integration/test_rossi_design_r.py; the test suite never runs R). Run from the project root:
#   Rscript tests/reference/rossi_design/rossi_design.R tests/reference/rossi_design/rossi.csv \
#     > tests/reference/rossi_design/rossi_design_R.txt
#
# 1. Propensity model: glm(fin ~ age + race + wexp + mar + paro + prio, binomial).
# 2. Matching: greedy nearest neighbour on the logit of the propensity score, written here in base
#    R from MatchIt's DOCUMENTED rules, because Debian's MatchIt 4.5.1 is defective (integer abs()
#    in its C++ code, MatchIt issue #163: a caliper below 1 is ignored and the wrong side wins
#    when both gaps are below 1; its matched sets are not a reference). The rules:
#    - distance |logit(e_t) - logit(e_c)|; caliper = 0.2 x SD of the logit over ALL units (n - 1);
#    - treated taken in decreasing propensity ("largest"), equal scores in row order;
#    - each takes the available comparison person at the smallest distance, equal distances going
#      to the earlier row; none within the caliper: unmatched; without replacement;
#    - k:1 in rounds: every treated person gets a first match before anyone gets a second.
# 3. Cox models (Efron ties) with the design's weights and cluster-robust variance:
#    matched 1:1 (weights 1, cluster = matched pair); ATT and ATE inverse probability weights
#    (stabilised, as evaluation.design.weighting), clustered on the person.
# Output: "## section" headers followed by CSV lines; numbers with 15 significant digits.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$row <- seq_len(nrow(d))  # row 1 = the first data row under the header (the project's numbering)
cat("## versions\n", R.version.string, ",survival ", as.character(packageVersion("survival")),
    "\n", sep = "")
cat(sprintf("## data\nrows,%d\ntreated,%d\nevents,%d\n", nrow(d), sum(d$fin), sum(d$arrest)))
num <- function(x) trimws(formatC(x, digits = 15, format = "g"))

fit <- glm(fin ~ age + race + wexp + mar + paro + prio, data = d, family = binomial())
cat("## propensity coefficients\nterm,coef,se\n")
co <- summary(fit)$coefficients
for (k in rownames(co)) cat(k, ",", num(co[k, 1]), ",", num(co[k, 2]), "\n", sep = "")
lp <- unname(predict(fit, type = "link"))
ps <- unname(fitted(fit))
caliper <- 0.2 * sd(lp)
cat("## caliper\nsd_logit,", num(sd(lp)), "\ncaliper,", num(caliper), "\n", sep = "")

greedy <- function(lp, treat, caliper, ratio = 1) {
  t_rows <- which(treat == 1)
  t_rows <- t_rows[order(-lp[t_rows])]  # decreasing score; order() is stable: ties by row
  available <- which(treat == 0)
  pairs <- data.frame(round = integer(), t = integer(), c = integer(), distance = numeric())
  margin_choice <- Inf  # smallest gap between the chosen distance and the next distinct one
  margin_caliper <- Inf  # smallest gap between a nearest distance and the caliper
  active <- t_rows
  for (r in seq_len(ratio)) {
    still <- integer()
    for (t in active) {
      if (length(available) == 0) next
      dist <- abs(lp[t] - lp[available])
      best <- min(dist)
      margin_caliper <- min(margin_caliper, abs(best - caliper))
      others <- dist[dist > best]
      if (length(others)) margin_choice <- min(margin_choice, min(others) - best)
      if (best > caliper) next
      j <- which(dist == best)[1]  # available is in row order: the earliest row wins a tie
      pairs[nrow(pairs) + 1, ] <- list(r, t, available[j], best)
      available <- available[-j]
      still <- c(still, t)
    }
    active <- still
  }
  attr(pairs, "margins") <- c(choice = margin_choice, caliper = margin_caliper)
  pairs
}

print_pairs <- function(pairs, label) {
  m <- attr(pairs, "margins")
  cat("## pairs ", label, "\n", sep = "")
  cat("margin_choice,", num(m[["choice"]]), "\nmargin_caliper,", num(m[["caliper"]]), "\n",
      sep = "")
  cat("round,treated_row,comparison_row\n")
  for (i in seq_len(nrow(pairs))) cat(pairs$round[i], ",", pairs$t[i], ",", pairs$c[i], "\n",
                                      sep = "")
}

cox_line <- function(label, f) {
  cat(label, ",", num(coef(f)[["fin"]]), ",", num(sqrt(f$var[1, 1])), ",",
      num(sqrt(f$naive.var[1, 1])), ",", f$n, ",", f$nevent, "\n", sep = "")
}

p1 <- greedy(lp, d$fin, caliper, ratio = 1)
print_pairs(p1, "ratio1 caliper0.2")
p2 <- greedy(lp, d$fin, caliper, ratio = 2)
print_pairs(p2, "ratio2 caliper0.2")

# matched 1:1 data: every matched person has weight 1; the pair is the cluster
md <- rbind(data.frame(d[p1$t, ], subclass = seq_len(nrow(p1))),
            data.frame(d[p1$c, ], subclass = seq_len(nrow(p1))))
md$w <- 1
p_treated <- mean(d$fin)
d$w_att <- ifelse(d$fin == 1, 1, ps / (1 - ps) * (1 - p_treated) / p_treated)
d$w_ate <- ifelse(d$fin == 1, p_treated / ps, (1 - p_treated) / (1 - ps))

cat("## cox\ndesign,coef,robust_se,naive_se,n,events\n")
f_match <- coxph(Surv(week, arrest) ~ fin, data = md, weights = w, cluster = subclass,
                 ties = "efron")
cox_line("matching_1to1", f_match)
f_att <- coxph(Surv(week, arrest) ~ fin, data = d, weights = w_att, cluster = row, ties = "efron")
cox_line("weighting_att", f_att)
f_ate <- coxph(Surv(week, arrest) ~ fin, data = d, weights = w_ate, cluster = row, ties = "efron")
cox_line("weighting_ate", f_ate)

cat("## rmst52\ndesign,group,rmean\n")
rm_line <- function(label, fit) {
  tab <- summary(fit, rmean = 52)$table
  for (g in 1:2) cat(label, ",", g - 1, ",", num(tab[g, "rmean"]), "\n", sep = "")
}
rm_line("matching_1to1", survfit(Surv(week, arrest) ~ fin, data = md, weights = w))
rm_line("weighting_att", survfit(Surv(week, arrest) ~ fin, data = d, weights = w_att))
rm_line("weighting_ate", survfit(Surv(week, arrest) ~ fin, data = d, weights = w_ate))
cat("## end\n")
