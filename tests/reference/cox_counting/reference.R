# Counting-process Cox reference values: R survival::coxph(Surv(start, stop, event) ~ ...,
# weights =, cluster =, ties = "efron") on split and stacked Rossi data (make_data.py), and the
# two-way (person and matched set) variance from R's own weighted dfbeta residuals.
# Run from the repository root (pytest never calls R; it reads reference.json):
#   Rscript tests/reference/cox_counting/reference.R > tests/reference/cox_counting/reference.Rout 2>&1
suppressMessages({library(survival); library(jsonlite)})
here <- "tests/reference/cox_counting"
cat(R.version.string, "; survival", as.character(packageVersion("survival")), "\n")
options(digits = 15, width = 150)
tight <- coxph.control(eps = 1e-14, iter.max = 200)  # the maximum itself, not eps = 1e-9's stop

summarise <- function(fit) {
  robust <- !is.null(fit$naive.var)  # without weights or clusters, var is the model-based one
  list(terms = names(coef(fit)), coef = unname(coef(fit)),
       naive_se = unname(sqrt(diag(if (robust) fit$naive.var else fit$var))),
       robust_se = if (robust) unname(sqrt(diag(fit$var))) else NULL,
       loglik = fit$loglik[2], n = fit$n, nevent = fit$nevent)
}

# 1. Rossi split at weeks 13, 26, 39, against the same people unsplit
split <- read.csv(file.path(here, "rossi_split.csv"))
unsplit <- do.call(rbind, lapply(split(split, split$person), function(d)
  data.frame(person = d$person[1], week = max(d$stop), arrest = max(d$event),
             treated = d$treated[1], age = d$age[1], prio = d$prio[1], w = d$w[1])))
f_split <- coxph(Surv(start, stop, event) ~ treated + age + prio, data = split, weights = w,
                 cluster = person, ties = "efron", control = tight)
f_unsplit <- coxph(Surv(week, arrest) ~ treated + age + prio, data = unsplit, weights = w,
                   cluster = person, ties = "efron", control = tight)
print(summary(f_split)); print(summary(f_unsplit))
cat("split - unsplit robust SE:", format(sqrt(diag(f_split$var)) - sqrt(diag(f_unsplit$var))), "\n")
# unweighted, no cluster: the model-based variance on split rows
f_plain <- coxph(Surv(start, stop, event) ~ treated + age + prio, data = split, ties = "efron",
                 control = tight)

# 2. stacked trials: delayed entry (week 8), people recurring, matched sets of two
st <- read.csv(file.path(here, "stacked.csv"))
f_st <- coxph(Surv(start, stop, event) ~ treated + age + prio, data = st, weights = w,
              cluster = person, ties = "efron", control = tight)
f_set <- coxph(Surv(start, stop, event) ~ treated + age + prio, data = st, weights = w,
               cluster = match_set, ties = "efron", control = tight)
print(summary(f_st))
D <- residuals(f_st, type = "dfbeta", weighted = TRUE)
meat <- function(g) crossprod(rowsum(D, g))
v_person <- meat(st$person); v_set <- meat(st$match_set)
v_both <- meat(interaction(st$person, st$match_set, drop = TRUE))
v_two <- v_person + v_set - v_both
cat("max |rowsum(dfbeta by person) - fit$var|:", max(abs(v_person - f_st$var)), "\n")
cat("max |rowsum(dfbeta by set) - coxph(cluster = match_set)$var|:", max(abs(v_set - f_set$var)), "\n")
cat("two-way eigenvalues:", eigen(v_two)$values, "\n")
two_way <- c(summarise(f_st), list(
  person_se = unname(sqrt(diag(v_person))), set_se = unname(sqrt(diag(v_set))),
  both_se = unname(sqrt(diag(v_both))), two_way_se = unname(sqrt(diag(v_two))),
  two_way_var = unname(v_two), set_coxph_se = unname(sqrt(diag(f_set$var)))))

# 3. the same stacked rows unsplit, everyone from week 0 (intention to treat: right-censored
# rows, no entry), two-way as above: the check of cox_effect(set_col =)
itt <- do.call(rbind, lapply(split(st, st$row), function(d)
  data.frame(row = d$row[1], person = d$person[1], match_set = d$match_set[1], week = max(d$stop),
             arrest = max(d$event), treated = d$treated[1], age = d$age[1], prio = d$prio[1],
             w = d$w[1])))
f_itt <- coxph(Surv(week, arrest) ~ treated + age + prio, data = itt, weights = w,
               cluster = person, ties = "efron", control = tight)
D <- residuals(f_itt, type = "dfbeta", weighted = TRUE)
v_itt <- meat(itt$person) + meat(itt$match_set) - meat(interaction(itt$person, itt$match_set, drop = TRUE))
cat("ITT two-way SE:", sqrt(diag(v_itt)), "\n")
itt_out <- c(summarise(f_itt), list(two_way_se = unname(sqrt(diag(v_itt)))))

out <- list(r = R.version.string, survival = as.character(packageVersion("survival")),
            rossi_split = summarise(f_split), rossi_unsplit = summarise(f_unsplit),
            rossi_split_plain = summarise(f_plain), stacked = two_way,
            itt_two_way = itt_out)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "reference.json"))
